"""The CUDA build of LibTorch for `bazel build --config=cuda` (docs/design.md, "What a CUDA
build lacks"): the folder of an unpacked LibTorch with CUDA (the zip from pytorch.org, of the
same version as Debian's, 1.13.1), given as --repo_env=ATTN_LIBTORCH_CUDA=/path (the cuda
config in .bazelrc defaults it to /opt/libtorch). Without the variable the repository holds
only a target that fails with that instruction, so the default CPU build never needs it."""

_BUILD = """
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "torch",
    hdrs = glob(["include/**"]),
    includes = ["include", "include/torch/csrc/api/include"],
    # torch_cuda registers the CUDA backend when it loads: keep it although no symbol of
    # ours refers to it (else torch::cuda::is_available() is false).
    linkopts = [
        "-L{lib}",
        "-Wl,-rpath,{lib}",
        "-ltorch",
        "-ltorch_cpu",
        "-Wl,--no-as-needed",
        "-ltorch_cuda",
        "-lc10_cuda",
        "-Wl,--as-needed",
        "-lc10",
    ],
)
"""

_MISSING = """
package(default_visibility = ["//visibility:public"])

genrule(
    name = "missing",
    outs = ["missing.h"],
    cmd = "echo 'bazel --config=cuda: {why}' >&2; exit 1",
)

cc_library(
    name = "torch",
    hdrs = [":missing"],
)
"""

def _libtorch_cuda_impl(ctx):
    root = ctx.os.environ.get("ATTN_LIBTORCH_CUDA", "")
    if root and ctx.path(root + "/lib/libtorch_cuda.so").exists:
        ctx.symlink(root + "/include", "include")
        ctx.file("BUILD", _BUILD.format(lib = root + "/lib"))
    else:
        why = ("set --repo_env=ATTN_LIBTORCH_CUDA to an unpacked LibTorch with CUDA" if not root else
               root + "/lib/libtorch_cuda.so does not exist; ATTN_LIBTORCH_CUDA must name an unpacked " +
               "LibTorch with CUDA")
        ctx.file("BUILD", _MISSING.format(why = why))

libtorch_cuda = repository_rule(
    implementation = _libtorch_cuda_impl,
    environ = ["ATTN_LIBTORCH_CUDA"],
    local = True,
)
