// enwik8_fetch: downloads enwik8.zip (or reads a local zip), extracts enwik8, verifies it.
#include "gflags/gflags.h"
#include "lib/net/enwik8_fetch_command.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(output, "data/enwik8", "where to write the extracted member; - for stdout");
DEFINE_string(url, attn::net::kEnwik8Url, "where to download the zip from");
DEFINE_string(from_zip, "", "read this local zip instead of downloading --url");
DEFINE_string(member, attn::net::kEnwik8Member, "the member of the zip to extract");
DEFINE_string(md5, attn::net::kEnwik8Md5,
              "expected MD5 of the member (32 hex digits), or 'skip'; enwik8's MD5 (the "
              "default) also checks enwik8's size, 100,000,000 bytes");
DEFINE_double(timeout_s, 60, "give up a connection or transfer after this many seconds "
                             "without data (then retry)");
DEFINE_int32(retries, 5, "retries after a transient failure (connection, HTTP 5xx, timeout)");
DEFINE_double(retry_delay_s, 1, "wait before the first retry; doubles each retry, up to 60 s");

namespace {

constexpr char kUsage[] =
    "Gets enwik8, verified.\n"
    "  enwik8_fetch [--output=data/enwik8] [--url=URL | --from_zip=PATH] [--md5=HEX|skip]\n"
    "Downloads --url (resuming an interrupted download), extracts --member, checks its MD5\n"
    "and writes it atomically. Does nothing when a valid --output is already there.\n"
    "Example: enwik8_fetch --output=data/enwik8";

}  // namespace

int main(int argc, char** argv) {
  namespace rt = attn::runtime;
  attn::tools::InitMain(&argc, &argv, kUsage);
  attn::net::Enwik8FetchOptions options;
  options.output = rt::ResolvePath(FLAGS_output);
  options.url = FLAGS_url;
  options.from_zip = FLAGS_from_zip.empty() ? "" : rt::ResolvePath(FLAGS_from_zip);
  options.member = FLAGS_member;
  options.md5 = FLAGS_md5;
  options.timeout_s = FLAGS_timeout_s;
  options.retries = FLAGS_retries;
  options.retry_delay_s = FLAGS_retry_delay_s;
  return rt::RunCommand([&] { return attn::net::RunEnwik8Fetch(options); });
}
