"""Count the torch API that public PyTorch code uses, and say which of it gradstep has.

    python scripts/torch_census.py SOURCE... [--out docs/torch-coverage.md] [--missing FILE]

A SOURCE is a Python file, a notebook (its code cells), a d2l chapter in Markdown (its PyTorch
code blocks) or a folder of these. Each is parsed (never run) and every use of a torch name is
counted once per source: functions and classes reached through ``torch``/``torchvision`` imports
(``torch.nn.functional.relu``), keyword arguments given to them (``torch.zeros(device=)``), and
Tensor methods and attributes (``x.view``, ``x.grad``), recognised by name. The status of each
name comes from gradstep itself, through the same doorway ``python -m gradstep.torch`` uses.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import re
import sys
from collections import defaultdict

# Tensor methods and attributes, as torch names them (recognised on any receiver that is not a
# torch module; names that lists, dicts and strings also have are left out to avoid false hits).
TENSOR_NAMES = """
abs abs_ absolute acos add add_ addcdiv addcdiv_ addcmul addcmul_ addmm all allclose amax amin any
apply_ argmax argmin argsort backward bernoulli_ bfloat16 bmm bool byte ceil chunk clamp clamp_
clip clone contiguous cos cosh cpu cuda cumprod cumsum data data_ptr detach detach_ device diag
diagonal dim div div_ dot double dtype element_size eq equal erf exp exp_ expand expand_as
exponential_ fill_ fill_diagonal_ flatten flip float floor floor_ fmod frac gather ge geometric_
grad grad_fn gt half index_add_ index_fill_ index_select int is_contiguous is_cuda is_floating_point
is_leaf isnan item kthvalue le lerp lerp_ log log10 log1p log2 log_ log_softmax logical_and
logical_not logical_or logsumexp long lt masked_fill masked_fill_ masked_scatter_ masked_select
matmul max maximum mean median min minimum mm mul mul_ multinomial mv nan_to_num narrow ndim
ndimension ne neg neg_ nelement new_empty new_full new_ones new_tensor new_zeros nonzero norm
normal_ numel numpy outer permute pin_memory pow pow_ prod random_ reciprocal register_hook relu
relu_ renorm repeat repeat_interleave requires_grad requires_grad_ reshape reshape_as retain_grad
round rsqrt scatter scatter_ scatter_add scatter_add_ select shape sigmoid sigmoid_ sign sin sinh
size softmax sort split sqrt sqrt_ square squeeze squeeze_ std sub sub_ sum swapaxes t t_ tan tanh
tanh_ to tolist topk trace transpose transpose_ tril triu true_divide trunc type type_as unbind
unfold uniform_ unique unsqueeze unsqueeze_ var view view_as where zero_ T mT H is_leaf storage
""".split()

MODULE_METHODS = """
parameters named_parameters buffers named_buffers children named_children modules named_modules
state_dict load_state_dict train eval zero_grad step add_module register_buffer register_parameter
register_forward_hook register_forward_pre_hook register_full_backward_hook apply requires_grad_
get_last_lr param_groups add_param_group
""".split()

# receivers that are not tensors even when the method name is a Tensor method's (plt.scatter, np.sum)
NOT_TENSORS = {"plt", "np", "numpy", "ax", "axs", "axes", "fig", "math", "random", "os", "sys", "d2l",
               "pd", "sns", "json", "re", "time", "str", "list", "dict", "set", "scipy", "cv2", "Image",
               "PIL", "string", "itertools", "collections", "self"}

_D2L_BLOCK = re.compile(r"```\{\.python \.input[^}]*\}\s*\n(.*?)```", re.S)


def code_of(path: str) -> list[str]:
    """The Python code a file holds (several pieces for notebooks and Markdown)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if path.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
        except json.JSONDecodeError:
            return []
        return ["".join(c["source"]) if isinstance(c.get("source"), list) else c.get("source", "")
                for c in cells if c.get("cell_type") == "code"]
    if path.endswith(".md"):
        blocks = []
        for block in _D2L_BLOCK.findall(text):
            first = block.lstrip().splitlines()[0] if block.strip() else ""
            if first.startswith(("#@tab", "%%tab")) and ("pytorch" in first or "all" in first):
                blocks.append(block)
        return blocks
    return [text]


def _clean(piece: str) -> str:
    """Drop IPython magics and shell escapes, which are not Python."""
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in piece.splitlines())


class Census(ast.NodeVisitor):
    """The torch names one source uses."""

    def __init__(self):
        self.aliases: dict[str, str] = {}
        self.names: set[str] = set()

    def visit_Import(self, node):
        for a in node.names:
            if a.name.split(".")[0] in ("torch", "torchvision"):
                if a.asname:
                    self.aliases[a.asname] = a.name
                else:
                    self.aliases[a.name.split(".")[0]] = a.name.split(".")[0]
                self.names.add(a.name)

    def visit_ImportFrom(self, node):
        mod = node.module or ""
        if mod.split(".")[0] in ("torch", "torchvision") and node.level == 0:
            for a in node.names:
                if a.name == "*":
                    continue
                full = f"{mod}.{a.name}"
                self.aliases[a.asname or a.name] = full
                self.names.add(full)

    def qualified(self, node) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.aliases:
            return ".".join([self.aliases[node.id], *reversed(parts)])
        return None

    def visit_Attribute(self, node):
        q = self.qualified(node)
        if q is not None:
            self.names.add(q)
            return  # the chain is one name; do not count its prefixes
        if isinstance(node.value, ast.Name) and node.value.id in NOT_TENSORS:
            self.generic_visit(node)
            return
        if node.attr in TENSOR_NAMES:
            self.names.add(f"Tensor.{node.attr}")
        elif node.attr in MODULE_METHODS:
            self.names.add(f"Module/Optimizer.{node.attr}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.aliases:
            self.names.add(self.aliases[node.id])

    def _shadow(self, names) -> dict:
        """Forget aliases that a local name hides (``def f(data)``, ``data = ...``); return them."""
        hidden = {n: self.aliases.pop(n) for n in names if n in self.aliases}
        return hidden

    def visit_FunctionDef(self, node):
        args = node.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        hidden = self._shadow(names)
        self.generic_visit(node)
        self.aliases.update(hidden)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node):
        self.visit(node.value)
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if not (isinstance(node.value, (ast.Attribute, ast.Name)) and self.qualified(node.value)):
            self._shadow(targets)
        for t in node.targets:
            if not isinstance(t, ast.Name):
                self.visit(t)

    def visit_For(self, node):
        self.visit(node.iter)
        self._shadow([t.id for t in ast.walk(node.target) if isinstance(t, ast.Name)])
        for child in node.body + node.orelse:
            self.visit(child)

    def visit_If(self, node):
        """d2l's ``if tab.selected('mxnet'):`` branches hold other frameworks' code: skip them."""
        t = node.test
        if (isinstance(t, ast.Call) and isinstance(t.func, ast.Attribute) and t.func.attr == "selected"
                and isinstance(t.func.value, ast.Name) and t.func.value.id == "tab"):
            tabs = {a.value for a in t.args if isinstance(a, ast.Constant)}
            for child in (node.body if "pytorch" in tabs else node.orelse):
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        q = self.qualified(f)
        if q is None and isinstance(f, ast.Attribute) and f.attr in TENSOR_NAMES and not (
                isinstance(f.value, ast.Name) and f.value.id in NOT_TENSORS):
            q = f"Tensor.{f.attr}"
        if q is not None:
            for k in node.keywords:
                if k.arg:
                    self.names.add(f"{q}({k.arg}=)")
        self.generic_visit(node)


def _notebook_census(path: str) -> set[str]:
    """A notebook or chapter's names, with imports of earlier cells known to later ones."""
    pieces = [_clean(p) for p in code_of(path)]
    c = Census()
    for piece in pieces:
        try:
            tree = ast.parse(piece)
        except (SyntaxError, ValueError):
            continue
        c.visit(tree)
    if path.endswith(".md") and "d2l" in path:  # d2l's chapters import torch in their first block
        c.aliases.setdefault("torch", "torch")
        c.aliases.setdefault("nn", "torch.nn")
        c.aliases.setdefault("F", "torch.nn.functional")
    c2 = Census()
    c2.aliases = dict(c.aliases)
    for piece in pieces:
        try:
            c2.visit(ast.parse(piece))
        except (SyntaxError, ValueError):
            continue
    return c.names | c2.names


def sources(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                out += [os.path.join(root, f) for f in sorted(files) if f.endswith((".py", ".ipynb", ".md"))]
        else:
            out.append(p)
    return sorted(out)


# ------------------------------------------------------------------ status in gradstep

def _resolve(name: str):
    """What ``name`` resolves to under the doorway: ("ok", obj) or ("missing"/"out", reason)."""
    import importlib

    from gradstep.torch import _hook, _names

    if name.startswith("Tensor."):
        import gradstep
        attr = name.split(".", 1)[1]
        if attr in ("grad", "grad_fn", "data", "requires_grad", "is_leaf", "shape", "dtype", "device",
                    "T", "mT", "H", "ndim", "is_cuda"):
            try:
                getattr(gradstep.zeros(2, 2), attr)
            except AttributeError:
                return ("missing", "")
            return ("ok", None)
        return ("ok", getattr(gradstep.Tensor, attr)) if hasattr(gradstep.Tensor, attr) else ("missing", "")
    if name.startswith("Module/Optimizer."):
        import gradstep
        attr = name.split(".", 1)[1]
        p = gradstep.nn.Parameter(gradstep.zeros(1))
        opt = gradstep.optim.SGD([p], lr=0.1)
        found = any(hasattr(c, attr) for c in (gradstep.nn.Linear(1, 1), opt,
                                               gradstep.optim.lr_scheduler.StepLR(opt, 1)))
        return ("ok", None) if found else ("missing", "")
    reason = _names.out_of_scope_reason(name)
    if reason:
        return ("out", reason)
    parts = name.split(".")
    was = _hook.installed()
    _hook.install()
    try:
        obj = importlib.import_module(parts[0])
        for i, p in enumerate(parts[1:], 1):
            try:
                obj = getattr(obj, p)
            except AttributeError:
                return ("missing", "")
            except Exception as e:  # a property that fails is a gap too
                return ("missing", f"{type(e).__name__}: {e}"[:80])
            if i == len(parts) - 1:
                return ("ok", obj)
        return ("ok", obj)
    except ImportError:
        return ("missing", "")
    finally:
        if not was:
            _hook.uninstall()


def _in_real_torch(name: str) -> bool:
    """Does PyTorch itself have ``name`` (when PyTorch, not gradstep, is importable)? Names it lacks
    are a source's own (a local variable called ``data``, a typo, another library's method)."""
    import importlib

    from gradstep.torch import _hook

    head = name.split(".")[0]
    if head not in ("torch",) or _hook.installed():
        return True
    try:
        obj = importlib.import_module("torch")
    except ImportError:
        return True
    for i, part in enumerate(name.split(".")[1:], 2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(name.split(".")[:i]))
            except ImportError:
                return False
    return True


# keywords PyTorch's Tensor methods accept beyond their documented signature line: NumPy's aliases
# and the arguments of overloads (scatter_(dim, index, value=))
_UNDOCUMENTED_KEYWORDS = {"axis", "keepdims", "unbiased", "correction", "out", "value", "dtype"}


def _tensor_keyword_in_torch(name: str) -> bool:
    """For ``Tensor.m(k=)``: does PyTorch's documented signature of ``Tensor.m`` name ``k``?"""
    m = re.fullmatch(r"Tensor\.(\w+)\((\w+)=\)", name)
    if not m or m.group(2) in _UNDOCUMENTED_KEYWORDS:
        return True
    try:
        import torch
    except ImportError:
        return True
    method = getattr(torch.Tensor, m.group(1), None)
    if inspect.isfunction(method):  # written in Python (Tensor.split): its signature answers
        params = inspect.signature(method).parameters
        return m.group(2) in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
    doc = (getattr(method, "__doc__", None) or "").strip()
    first = doc.splitlines()[0] if doc else ""
    if not first.startswith(m.group(1) + "("):
        return True  # no signature line to check against
    return re.search(rf"\b{m.group(2)}\b", first) is not None or "**" in first


def status(name: str) -> tuple[str, str]:
    if not _in_real_torch(name.split("(")[0]) or not _tensor_keyword_in_torch(name):
        return "not in PyTorch", "a source's own name (a local variable, a typo or another library)"
    m = re.fullmatch(r"(.*)\((\w+)=\)", name)
    if not m:
        st, obj = _resolve(name)
        if st == "ok":
            return "implemented", ""
        return ("out of scope", obj) if st == "out" else ("missing", obj)
    base, kw = m.groups()
    st, obj = _resolve(base)
    if st == "out":
        return "out of scope", obj
    if st != "ok":
        return "missing", "(the function itself is missing)"  # dropped from the report
    target = obj
    if inspect.isclass(target):
        target = target.__init__
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return "implemented", "(signature not inspectable)"
    named = kw in params and params[kw].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                  inspect.Parameter.KEYWORD_ONLY)
    if named or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return "implemented", ""
    return "missing", "keyword not accepted"


def category(name: str) -> str:
    base = name.split("(")[0]
    if base.startswith("Tensor."):
        return "Tensor methods and attributes"
    if base.startswith("Module/Optimizer."):
        return "Module, optimizer and scheduler methods"
    for prefix, cat in (("torch.nn.functional", "torch.nn.functional"), ("torch.nn.init", "torch.nn.init"),
                        ("torch.nn", "torch.nn"), ("torch.optim.lr_scheduler", "torch.optim.lr_scheduler"),
                        ("torch.optim", "torch.optim"), ("torch.utils.data", "torch.utils.data"),
                        ("torch.autograd", "torch.autograd"), ("torchvision", "torchvision"),
                        ("torch", "torch")):
        if base == prefix or base.startswith(prefix + "."):
            return cat
    return "other"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="+", help="files or folders (.py, .ipynb, d2l .md)")
    ap.add_argument("--out", default="docs/torch-coverage.md")
    ap.add_argument("--missing", help="also write the missing names, one a line, to this file")
    ap.add_argument("--strip", action="append", default=[],
                    help="path prefix to drop when naming sources in the report")
    ap.add_argument("--note", default="", help="a paragraph for the report: where the sources came from")
    ap.add_argument("--min-sources", type=int, default=1, help="list names used by at least this many")
    args = ap.parse_args(argv)

    files = sources(args.sources)
    uses: dict[str, set[str]] = defaultdict(set)
    counted = 0
    groups = defaultdict(int)
    for path in files:
        names = _notebook_census(path)
        if not names:
            continue
        counted += 1
        short = path
        for s in args.strip:
            short = short.removeprefix(s)
        groups[short.split(os.sep)[0]] += 1
        for n in names:
            uses[n].add(short)
    rows = []
    for name, srcs in uses.items():
        if len(srcs) < args.min_sources or name in ("torch", "torchvision"):
            continue
        st, why = status(name)
        if st == "missing" and why.startswith("(the function"):
            continue  # a keyword of a missing function: the function's own row covers it
        rows.append((category(name), -len(srcs), name, st, why))
    rows.sort()
    totals = defaultdict(int)
    for r in rows:
        totals[r[3]] += 1
    lines = [
        "# torch API coverage: what public PyTorch code uses, and what gradstep has",
        "",
        "Written by `scripts/torch_census.py` (do not edit by hand; re-run it). It parses, without",
        "running, the PyTorch code students learn from, counts every torch name each source uses",
        "(once per source), and asks gradstep, through the `gradstep.torch` doorway, whether it has it.",
        "A keyword row `f(k=)` counts calls of `f` that pass `k`. Tensor methods are recognised by name,",
        "so a few hits on other objects with the same method name are counted too.",
        "",
        *([args.note, ""] if args.note else []),
        f"Sources: {counted} files using torch ("
        + ", ".join(f"{k}: {v}" for k, v in sorted(groups.items())) + ").",
        "",
        f"Names: {len(rows)}; implemented {totals['implemented']}, missing {totals['missing']}, "
        f"out of scope {totals['out of scope']}, not in PyTorch {totals['not in PyTorch']}.",
        "",
    ]
    current = None
    for cat, neg, name, st, why in rows:
        if cat != current:
            lines += ["", f"## {cat}", "", "| name | sources | status | note |", "|---|---:|---|---|"]
            current = cat
        lines.append(f"| `{name}` | {-neg} | {st} | {why} |")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    if args.missing:
        with open(args.missing, "w") as f:
            f.write("# name<TAB>sources<TAB>note: torch names public code uses that gradstep lacks "
                    "(scripts/torch_census.py)\n")
            for _cat, neg, name, st, why in sorted(rows, key=lambda r: (r[1], r[2])):
                if st == "missing":
                    f.write(f"{name}\t{-neg}\t{why}\n")
    print(f"{counted} sources, {len(rows)} names: {dict(totals)} -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
