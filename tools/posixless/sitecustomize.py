"""Python without the POSIX-only calls, as on Windows, for CI on Linux.

Put this folder first on PYTHONPATH and every Python process started with it
(the command line, and the workers a pool spawns) begins without what Windows
lacks: user and group ids (`os.getuid`, `os.geteuid`, ...), POSIX modes and
owners on open files (`os.fchmod`, `os.fchown`), the open flags O_NOFOLLOW,
O_NONBLOCK and O_CLOEXEC, `os.fork`, `signal.pthread_sigmask` and `SIGKILL`
(os.kill(pid, 0) ends a process on Windows), and the modules
`pwd`, `grp`, `fcntl`, `resource` and `termios` (importing one raises
ImportError). `os.name` stays "posix" (the path functions need it): the
package decides by what `os` offers, never by the system's name, so this runs
the branch Windows takes.

    PYTHONPATH=tools/posixless contract-rules check examples/pcn-passing.yaml \\
        --assumptions examples/assumptions/2025-26.yaml

`CONTRACT_RULES_POSIXLESS=1` is set for the process, so a test can tell that
this ran.

One module is imported before the calls go: platformdirs, which chooses its
backend by the system's name. On Windows it loads its Windows backend (which
needs the Windows API, so cannot run here); here its Unix backend, which binds
`os.geteuid` when imported, stands in for it. The package itself only asks it
for the cache folder's path.
"""

import os
import signal
import sys

import platformdirs  # noqa: F401  (see the docstring: imported while os.geteuid exists)

REMOVED_OS = ("getuid", "geteuid", "getgid", "getegid", "getgroups", "fchmod", "fchown", "lchown",
              "chown", "lchmod", "fork", "forkpty", "O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC")
REMOVED_MODULES = ("pwd", "grp", "fcntl", "resource", "termios")

for name in REMOVED_OS:
    if hasattr(os, name):
        delattr(os, name)
for name in ("pthread_sigmask", "SIGKILL"):  # Windows has no POSIX signals to send
    if hasattr(signal, name):
        delattr(signal, name)
for name in REMOVED_MODULES:
    sys.modules[name] = None  # `import name` raises ImportError
os.environ["CONTRACT_RULES_POSIXLESS"] = "1"
