"""fuzz_target: one libFuzzer target, its seed corpus run once as a regression test."""

def fuzz_target(name, deps):
    """fuzz/NAME_fuzz.cc defines LLVMFuzzerTestOneInput; its seeds live in fuzz/corpus/NAME/.

    Bazel builds NAME_fuzz_test (gcc, no sanitizers), which runs every seed once;
    fuzz/fuzz.sh (make fuzz) finds the targets by their tag and builds each with clang's
    libFuzzer from the .cc files this rule depends on.
    """
    native.cc_test(
        name = name + "_fuzz_test",
        size = "small",
        srcs = [name + "_fuzz.cc"],
        args = ["fuzz/corpus/" + name],
        data = native.glob(["corpus/" + name + "/*"]),
        tags = ["fuzz_target"],
        deps = deps + ["//fuzz:regression_main"],
    )
