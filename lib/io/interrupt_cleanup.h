// Temporary files that an interrupted process removes: SIGINT, SIGTERM or SIGHUP would
// otherwise end a tool without running destructors, leaving OUTPUT.tmp.XXXXXX behind.
#ifndef ATTN_LIB_IO_INTERRUPT_CLEANUP_H_
#define ATTN_LIB_IO_INTERRUPT_CLEANUP_H_

#include <string>

namespace attn::io {

// Registers `path` for removal when one of those signals ends the process. The first call
// installs the handler for each signal whose disposition is still the default (a signal a
// tool handles itself, or that was ignored as under nohup, is left alone). The handler
// unlinks every registered path of this process, then re-raises the signal with its default
// action, so the exit status still names the signal. Returns a handle for
// UnregisterTempFile, or -1 when the path cannot be registered (too long, or too many live
// files); the file is then simply not removed on a signal.
int RegisterTempFile(const std::string& path);

// Forgets a registration (after the file was renamed or removed); -1 is ignored.
void UnregisterTempFile(int handle);

}  // namespace attn::io

#endif  // ATTN_LIB_IO_INTERRUPT_CLEANUP_H_
