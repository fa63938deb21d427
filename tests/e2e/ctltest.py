"""What wgatectl's tests (wgatectl_test.py, wgatectl_redis_test.py) share:
the binary under test (argv[1]), two public keys, and TAP-like checks
counted for the closing summary."""
import os
import sys

WGATECTL = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/control/wgatectl"
K1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
K2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
failures = 0
checks = 0


def check(ok, what, detail=""):
    global failures, checks
    checks += 1
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1
        for line in str(detail).splitlines():
            print("#   " + line)


def summary():
    """Prints the counts; returns the exit status, 1 if any check failed."""
    print(f"# {checks - failures} passed, {failures} failed")
    return 1 if failures else 0
