#!/usr/bin/env python3
"""Prints the size of the Rust sources and the import cycles among the store's modules.

    python3 scripts/structure.py [--edges]

Sizes: the distribution of line counts of every file under crates/*/src (median, p90, max),
and the files over 700 lines apart from tests. Cycles: a module of `crates/store/src` is a
file or a folder directly under it; it imports another when its code names `crate::<other>`.
A cycle is a strongly connected set of two or more such modules.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def is_test(path: pathlib.Path) -> bool:
    name = path.name
    return name == "tests.rs" or name.endswith("_tests.rs") or "tests" in path.parts[:-1]


def sizes() -> None:
    files = sorted(ROOT.glob("crates/*/src/**/*.rs"))
    counts = sorted(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
    if not counts:
        print("no sources")
        return
    def pct(p: float) -> int:
        return counts[min(len(counts) - 1, round((len(counts) - 1) * p))]
    print(f"files {len(counts)}   median {pct(0.5)}   p90 {pct(0.9)}   max {counts[-1]} lines")
    big = [
        (len(f.read_text(encoding="utf-8").splitlines()), f.relative_to(ROOT))
        for f in files
        if not is_test(f)
    ]
    big = sorted((n, f) for n, f in big if n > 700)
    for n, f in reversed(big):
        print(f"  over 700 (not a test): {f} {n}")


def store_cycles() -> None:
    src = ROOT / "crates/store/src"
    modules = {}
    for entry in sorted(src.iterdir()):
        if entry.is_dir():
            modules[entry.name] = sorted(entry.rglob("*.rs"))
        elif entry.suffix == ".rs" and entry.stem != "lib":
            modules[entry.stem] = [entry]
    # Names the crate root re-exports stand for the module they come from.
    lib = (src / "lib.rs").read_text(encoding="utf-8")
    owner = {}
    for module, names in re.findall(r"pub use (\w+)::\{([^}]*)\}", lib, re.S):
        for name in names.split(","):
            name = name.strip().split(" as ")[-1].strip()
            if name:
                owner[name] = module
    for module in re.findall(r"pub use (\w+)::\*", lib):
        for f in modules.get(module, []):
            for name in re.findall(r"pub (?:struct|enum|fn|async fn|type|trait|const) (\w+)", f.read_text(encoding="utf-8")):
                owner[name] = module
    for module, name in re.findall(r"pub use (\w+)::(\w+);", lib):
        owner[name] = module
    # Methods of the store handles (`impl Store`, `impl TenantStore`) belong to the module
    # that defines them: calling one is depending on that module as much as an import is.
    method_owner = {}
    for m, files in modules.items():
        for f in files:
            text = f.read_text(encoding="utf-8").split("#[cfg(test)]")[0]
            for block in re.split(r"\nimpl ", text)[1:]:
                head = block.split("{", 1)[0]
                if not re.match(r"(crate::)?(Tenant)?Store\b", head.strip()):
                    continue
                body = block.split("\n}\n", 1)[0]
                for name in re.findall(r"\n    (?:pub(?:\(crate\))? )?(?:async )?fn (\w+)", body):
                    method_owner.setdefault(name, set()).add(m)
    pattern = re.compile(r"crate::(\w+)|use crate::\{([^}]*)\}", re.S)
    edges = {m: set() for m in modules}
    for m, files in modules.items():
        for f in files:
            # Test modules (inline, or a `tests.rs` included with `#[path]`) may reach
            # anywhere, and comments name what they like: only product code counts.
            if f.name == "tests.rs":
                continue
            text = f.read_text(encoding="utf-8").split("#[cfg(test)]")[0]
            text = re.sub(r"//[^\n]*", "", text)
            for name in re.findall(r"\.(\w+)\(", text):
                owners = method_owner.get(name, set())
                if len(owners) == 1 and m not in owners:
                    edges[m].update(owners)
            for a, group in pattern.findall(text):
                names = [a] if a else [g.strip().split("::")[0] for g in group.split(",")]
                for n in names:
                    n = owner.get(n, n)
                    if n in modules and n != m:
                        edges[m].add(n)
    # Tarjan's strongly connected components.
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    print(f"store modules {len(modules)}   import cycles {len(out)}")
    if "--edges" in sys.argv:
        for m in sorted(edges):
            print(f"  {m} -> {', '.join(sorted(edges[m]))}")
    for comp in out:
        print(f"  cycle of {len(comp)}: {', '.join(comp)}")
    return len(out)


if __name__ == "__main__":
    sizes()
    cycles = store_cycles()
    # `--check` (CI): an import circle among store modules fails the run.
    if "--check" in sys.argv and cycles:
        sys.exit(1)
