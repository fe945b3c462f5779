// The C++ tests' scratch folders: a fresh folder under Bazel's TEST_TMPDIR, and the names
// in a folder (sorted, without "." and ".."), to check what a run left behind.
#ifndef ATTN_LIB_IO_TEMP_DIR_FOR_TEST_H_
#define ATTN_LIB_IO_TEMP_DIR_FOR_TEST_H_

#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace attn::io {

inline std::string NewTempDir() {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/dirXXXXXX";
  return mkdtemp(dir.data());
}

inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace attn::io

#endif  // ATTN_LIB_IO_TEMP_DIR_FOR_TEST_H_
