#!/usr/bin/env python3
"""Fails when two sources of one library define the same name in their anonymous namespaces.

The product libraries are compiled in unity batches (CMakeLists.txt, SWITCHYARD_UNITY_BUILD):
several .cc files become one translation unit, so file-local helpers share one anonymous
namespace. Two definitions of one signature fail to compile, but two overloads of one name
compile, and a call may then pick the other file's function without a word. This check
refuses both, whatever batch the files fall into.

  check-unity-names.py ROOT
"""
import collections
import pathlib
import re
import sys

# The libraries built in unity batches: their directories, the sources that are not theirs.
LIBRARIES = {
    "common": (["common"], []),
    "control plane": (["control-plane"], ["control-plane/main.cc", "control-plane/cli/"]),
    "data plane": (["data-plane"], ["data-plane/main.cc"]),
}

DECLARATION = re.compile(
    r"^(?:template <.*> )?(?:static |inline |constexpr |const |thread_local )*"
    r"(?:(?:struct|class|enum class|enum)\s+([A-Za-z_]\w*)"
    r"|[\w:<>,\s\*&]+?[\s\*&]([A-Za-z_]\w*)\s*(?:\(|=|\[|\{|;))")


def anonymous_names(path):
    """Names declared at the top level of the file's `namespace {` blocks."""
    names = set()
    depth = None  # brace depth inside an anonymous namespace, None outside one
    for line in path.read_text().splitlines():
        if re.match(r"^namespace\s*\{", line):
            depth = 0
            continue
        if depth is None:
            continue
        if depth == 0 and re.match(r"^\}\s*//\s*namespace\s*$", line):
            depth = None
            continue
        # (Aliases, `using X = ...` and `namespace x = ...`, are left out: two that differ do
        # not compile, two that agree are harmless.)
        if depth == 0 and line and not line[0].isspace() and \
                not line.startswith(("//", "#", "}", "using ", "namespace ")):
            match = DECLARATION.match(line)
            if match:
                names.add(match.group(1) or match.group(2))
        depth = max(0, depth + line.count("{") - line.count("}"))
    return names


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    failed = False
    for library, (directories, excluded) in LIBRARIES.items():
        where = collections.defaultdict(list)
        for directory in directories:
            for path in sorted((root / directory).rglob("*.cc")):
                relative = path.relative_to(root).as_posix()
                if any(relative == e or (e.endswith("/") and relative.startswith(e))
                       for e in excluded):
                    continue
                for name in anonymous_names(path):
                    where[name].append(relative)
        for name, files in sorted(where.items()):
            if len(files) > 1:
                failed = True
                print(f"{library}: '{name}' is defined in the anonymous namespaces of "
                      f"{', '.join(files)}; give each its own name (unity batches share them)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
