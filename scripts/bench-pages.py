#!/usr/bin/env python3
"""Times pages as a signed-in person opens them, one request at a time.

    scripts/bench-pages.py --base http://127.0.0.1:8090 --user qagent --password … \\
        [--runs 20] /desk "/desk?sort=-created" /desk/counts …

Signs in through the login form (with the Origin header a browser sends), then GETs each
path --runs times after one warm-up and prints p50/p95/max in ms and the body size. Python's
standard library only.
"""

import argparse
import http.cookiejar
import statistics
import sys
import time
import urllib.parse
import urllib.request


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode(
        {"username": args.user, "password": args.password, "next": "/"}
    ).encode()
    login = urllib.request.Request(
        args.base + "/login", data=form, headers={"Origin": args.base}
    )
    opener.open(login).read()
    if not any(c.name for c in jar):
        print("sign-in failed: no session cookie", file=sys.stderr)
        return 1

    print(f"{'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KiB':>7}")
    for path in args.paths:
        opener.open(args.base + path).read()  # warm-up
        times = []
        size = 0
        for _ in range(args.runs):
            started = time.perf_counter()
            with opener.open(args.base + path) as r:
                size = len(r.read())
                if r.status != 200:
                    print(f"{path}: HTTP {r.status}", file=sys.stderr)
                    return 1
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{path:<48} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f} {size / 1024:7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
