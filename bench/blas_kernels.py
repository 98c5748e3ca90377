"""Gives PyTorch the same OpenBLAS kernels attograd uses (see attograd's core/kernels/blas.hpp).

Debian 12's OpenBLAS 0.3.21 picks its kernels once, when it loads; on a CPU newer than it, it
falls back to "Prescott" (SSE3), about 5x slower for GEMMs. attograd's programs notice and run
again with OPENBLAS_CORETYPE=SkylakeX (AVX-512) or Haswell (AVX2). Debian's PyTorch goes through
the same libopenblas, so a fair comparison sets the same variable before torch is imported:
call match_attograd() first. It asks a child process which kernels OpenBLAS picks by itself
(once loaded, a process cannot change them), and does nothing if OPENBLAS_CORETYPE is set.
"""
import os
import subprocess
import sys

_PROBE = ("import ctypes; l = ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype = ctypes.c_char_p; "
          "print(l.openblas_get_corename().decode())")


def match_attograd():
    """Returns the OPENBLAS_CORETYPE now in effect for this process ('' for OpenBLAS's own pick)."""
    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("ATTOGRAD_KEEP_BLAS"):
        return os.environ.get("OPENBLAS_CORETYPE", "")
    probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "Prescott":
        return ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return ""
    better = "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else ""
    if better:
        os.environ["OPENBLAS_CORETYPE"] = better
        print(f"blas_kernels: OpenBLAS would pick Prescott here; PyTorch and attograd both run with "
              f"OPENBLAS_CORETYPE={better}", file=sys.stderr)
    return better
