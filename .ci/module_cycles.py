#!/usr/bin/env python3
"""No import circles between the modules of a crate: a cheap check for CI.

Within each crate, every reference a file makes through `crate::`, `super::` or `self::` (in `use`
trees and inline paths) is resolved to the module it names. Between a module and its own
ancestors or descendants references are how Rust works (a parent declares its children, a child
uses its parent's types), so the edge is taken between the *siblings* under the two modules'
lowest common ancestor: `web::ctx` using `web::shell::Shell` is an edge ctx → shell inside `web`.
The siblings of every module must form a graph without cycles; the script prints each cycle
with one reference per edge and exits 1 if there is any. Test modules (`#[cfg(test)]` to the end of
a file) are ignored. Usage: module_cycles.py [crates-dir]
"""
import os
import re
import sys


def modules_of(src):
    """File modules of a crate: path tuple -> file."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)[:-3].split(os.sep)
            if rel in (["lib"], ["main"]):
                mods[()] = os.path.join(root, f)
            elif rel[-1] == "mod":
                mods[tuple(rel[:-1])] = os.path.join(root, f)
            elif rel[0] == "bin":
                continue
            else:
                mods[tuple(rel)] = os.path.join(root, f)
    return mods


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    cut = re.search(r"#\[cfg\(test\)\]\s*(pub\s+)?mod\s+\w+\s*\{", text)
    return text[: cut.start()] if cut else text


def use_paths(tree, prefix=""):
    """Expands a `use` tree into its paths."""
    tree = tree.strip()
    depth, start, out = 0, None, []
    if "{" not in tree:
        return [prefix + tree.split(" as ")[0].strip()]
    head = tree[: tree.index("{")]
    body = tree[tree.index("{") + 1 : tree.rindex("}")]
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    for p in parts:
        if p.strip():
            out += use_paths(p, prefix + head)
    return out


def references(text):
    refs = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        refs += use_paths(re.sub(r"\s+", "", m.group(1)))
    body = re.sub(r"\buse\s+[^;]+;", "", text)
    refs += re.findall(r"\b(?:crate|super|self)(?:::\w+)+", body)
    return [r for r in refs if r.split("::")[0] in ("crate", "super", "self")]


def resolve(ref, here, mods):
    parts = ref.split("::")
    if parts[0] == "crate":
        base, rest = (), parts[1:]
    else:
        base = here
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                base = base[:-1]
            parts = parts[1:]
        rest = parts
    path = base
    for p in rest:
        if path + (p,) in mods:
            path = path + (p,)
        else:
            break
    return path


def cycles_in(crate, src):
    mods = modules_of(src)
    edges = {}
    for here, f in mods.items():
        for ref in references(strip(open(f, encoding="utf-8").read())):
            there = resolve(ref, here, mods)
            n = 0
            while n < min(len(here), len(there)) and here[n] == there[n]:
                n += 1
            if n == len(here) or n == len(there):
                continue  # ancestor or descendant
            a, b = here[: n + 1], there[: n + 1]
            edges.setdefault(a, {}).setdefault(b, f"{f}: {ref}")
    found, state, stack = [], {}, []

    def visit(v):
        state[v] = 1
        stack.append(v)
        for w in sorted(edges.get(v, {})):
            if state.get(w) == 1:
                cyc = stack[stack.index(w) :] + [w]
                found.append(cyc)
            elif w not in state:
                visit(w)
        stack.pop()
        state[v] = 2

    for v in sorted(edges):
        if v not in state:
            visit(v)
    out = []
    for cyc in found:
        names = " → ".join("::".join(m) for m in cyc)
        why = [edges[a][b] for a, b in zip(cyc, cyc[1:])]
        out.append((crate, names, why))
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "crates"
    bad = []
    for crate in sorted(os.listdir(root)):
        src = os.path.join(root, crate, "src")
        if os.path.isdir(src):
            bad += cycles_in(crate, src)
    for crate, names, why in bad:
        print(f"{crate}: {names}")
        for w in why:
            print(f"    {w}")
    if bad:
        print(f"{len(bad)} import circle(s) between modules")
        sys.exit(1)
    print("no import circles between the modules of any crate")


if __name__ == "__main__":
    main()
