// tokenize: byte-level tokenizer (vocabulary 256) and splitter for enwik8-style corpora.
#include "gflags/gflags.h"
#include "lib/data/tokenize_command.h"
#include "lib/runtime/tool.h"
#include "tools/tool_main.h"

DEFINE_string(input, "-", "the corpus (raw bytes); - is stdin");
DEFINE_string(output_prefix, "",
              "write PREFIX.train.FORMAT, PREFIX.valid.FORMAT[, PREFIX.test.FORMAT]; "
              "without it the input is streamed to stdout (or only --stats is printed)");
DEFINE_string(splits, "",
              "fractions (0.9,0.1 or 0.9,0.05,0.05; sum 1) or byte counts summing to the "
              "input size; default 90%/5%/5% (90M/5M/5M on enwik8)");
DEFINE_string(format, "u8", "token format: u8 (one byte per token) or ids (decimal id per line)");
DEFINE_bool(decode, false, "stream mode: read tokens in --format, write the raw bytes");
DEFINE_bool(stats, false, "print bytes, distinct tokens and unigram entropy per split (TSV)");

int main(int argc, char** argv) {
  attn::tools::InitMain(
      &argc, &argv,
      "byte-level tokenizer and splitter.\n"
      "  tokenize --input=data/enwik8 --output_prefix=data/enwik8   # .train/.valid/.test.u8\n"
      "  tokenize --input=data/enwik8 --stats                       # per-split statistics\n"
      "  tokenize --format=ids < text > ids; tokenize --decode --format=ids < ids > text");
  attn::data::TokenizeOptions options;
  options.input = attn::runtime::ResolvePath(FLAGS_input);
  options.output_prefix = attn::runtime::ResolvePath(FLAGS_output_prefix);
  options.splits = FLAGS_splits;
  options.format = FLAGS_format;
  options.decode = FLAGS_decode;
  options.stats = FLAGS_stats;
  return attn::runtime::RunCommand([&] { return attn::data::RunTokenize(options); });
}
