#!/usr/bin/env python3
"""Facts about a speedrun submission's Python files, for the static rules judge to compare with
the anchor's. Usage: scriptFacts.py DIR  ->  one JSON object on stdout.

Python's own parser reads the code, so formatting, comments and docstrings never matter: only
what the code does. Each fact carries file:line so a rejection can point at the place."""
import ast
import builtins
import json
import os
import sys

# the helpers are imported from the package folder, which need not be writable: no bytecode there
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ruleFacts  # noqa: E402
import settingFacts  # noqa: E402

# Hyperparameters that fix what the val loss is measured on, and where the data comes from.
VAL_FIELDS = ("val_tokens", "val_files", "val_batch_size", "val_seq_len")
DATA_FIELDS = ("train_files", "data_dir", "data_path", "DATA_DIR", "DATA_PATH")
SHARD_MAGIC = 20240520  # the speedrun shard header's magic number: its reader checks it
LOG_MARKER = "val_loss:"  # the log line the official val loss is read from
# Calls that read files wholesale: outside the shard reader they are a second way into the data
# (or a cache carried between runs).
RAW_READ_CALLS = {
    "torch.from_file", "torch.load", "numpy.fromfile", "numpy.memmap", "numpy.load",
    "pickle.load", "pickle.loads", "mmap.mmap", "json.load", "safetensors.torch.load_file",
}
RAW_READ_METHODS = {"readinto", "read_bytes"}
MAX_FILES = 200
# Ways to run another program: its work would be outside anything the judge reads.
SPAWN_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput", "system", "popen",
               "execv", "execve", "execvp", "execl", "execlp", "spawnv", "spawnl", "posix_spawn", "fork", "Process", "spawn"}
BUILTIN_NAMES = set(dir(builtins))


def line_of(node):
    return getattr(node, "lineno", 0)


def strip_docstrings(tree):
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def const_value(node):
    """The value of a constant expression (numbers, strings, arithmetic on them), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = const_value(node.operand)
        if isinstance(v, (int, float)):
            return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = const_value(node.left), const_value(node.right)
        if a is None or b is None:
            return None
        try:
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.FloorDiv: lambda: a // b, ast.Div: lambda: a / b, ast.Mod: lambda: a % b,
                   ast.Pow: lambda: a ** b if abs(b) < 64 else None}
            f = ops.get(type(node.op))
            return f() if f else None
        except Exception:
            return None
    return None


class Aliases:
    """Local names bound to modules or module attributes, so `cfg.x = 1` after
    `import torch._inductor.config as cfg` reads as torch._inductor.config.x."""

    def __init__(self, tree):
        self.names = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.names[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    self.names[a.asname or a.name] = f"{node.module}.{a.name}"
        # plain `x = torch._inductor.config` style aliases
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                d = self.dotted(node.value)
                if d and (d.startswith("torch.") or d.startswith("torch._")):
                    self.names[node.targets[0].id] = d
        self.names.setdefault("np", "numpy")

    def dotted(self, node):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            f = self.dotted(node.func)
            if f in ("importlib.import_module", "__import__"):
                return node.args[0].value
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and self.dotted(node.value) == "sys.modules":
            return node.slice.value
        if isinstance(node, ast.Name):
            return self.names.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


# Parents by node id, kept off the nodes themselves so copying a statement copies only it.
PARENTS = {}
# Names of this file's shard readers (set per file before its statements are normalized).
READER_NAMES = set()


def add_parents(tree):
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            PARENTS[id(child)] = node


def parent_of(node):
    return PARENTS.get(id(node))


def refs_name(node, names):
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in names:
            return True
        if isinstance(n, ast.Attribute) and n.attr in names:
            return True
    return False


def is_val_name(name):
    return name.startswith("val_") and name != "val_loss_every"


def refs_val(node):
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and is_val_name(n.id):
            return True
        if isinstance(n, ast.Attribute) and is_val_name(n.attr):
            return True
    return False


class ValNormalizer(ast.NodeTransformer):
    """Rewrites what legitimately differs between records so the rest can be compared exactly:
    the model's call arguments (records change the model's inputs), names unpacked from a batch,
    and reduce-to-rank-0 versus all-reduce of the val loss (same value where it is printed)."""

    def __init__(self, model_names):
        self.model_names = model_names

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in self.model_names:
            keep = [k for k in node.keywords if k.arg == "reduction"]
            node.args = [ast.Constant(value=Ellipsis)] if (node.args or len(keep) != len(node.keywords)) else []
            node.keywords = keep
        elif isinstance(f, ast.Attribute) and f.attr in ("reduce", "all_reduce"):
            if f.attr == "reduce" and len(node.args) >= 2:
                node.args = [node.args[0]] + node.args[2:]
            node.keywords = [k for k in node.keywords if k.arg not in ("dst", "group_dst", "async_op")]
            f.attr = "all_reduce"
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr == "inference_mode":
            node.attr = "no_grad"
        return node

    def visit_Name(self, node):
        if node.id in READER_NAMES:  # a renamed shard reader is still the shard reader
            node.id = "SHARD_READER"
        return node

    def visit_Assign(self, node):
        self.generic_visit(node)
        if is_scalar_zero(node.value):
            node.value = ast.Constant(value=0)
        if isinstance(node.value, ast.Call):  # `inputs, targets, ... = next(loader)`: records add outputs
            node.targets = [ast.Name(id="_", ctx=ast.Store()) if isinstance(t, (ast.Tuple, ast.List)) else t for t in node.targets]
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        if isinstance(node.target, (ast.Tuple, ast.List, ast.Name)):
            node.target = ast.Name(id="_", ctx=ast.Store())
        return node


ZERO_DTYPES = ("float32", "float64", "float", "double")


def is_scalar_zero(node):
    """0, 0.0, or a zero scalar tensor in full precision wherever it lives: the same start for a sum."""
    if isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool):
        return True
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or ast.unparse(node.func.value) != "torch":
        return False
    for k in node.keywords:
        if k.arg == "dtype" and not (isinstance(k.value, ast.Attribute) and k.value.attr in ZERO_DTYPES):
            return False
        if k.arg not in ("dtype", "device", "requires_grad", "pin_memory"):
            return False
    a = node.args
    if node.func.attr == "zeros":
        return len(a) == 1 and isinstance(a[0], (ast.Tuple, ast.List)) and not a[0].elts
    if node.func.attr == "tensor":
        return len(a) == 1 and isinstance(a[0], ast.Constant) and a[0].value == 0
    return False


def normalized(node, model_names):
    import copy
    n = ValNormalizer(model_names).visit(copy.deepcopy(node))
    return ast.unparse(n)


def header(stmt, model_names):
    """One line for a compound statement's head, its bodies left out."""
    import copy
    n = ValNormalizer(model_names).visit(copy.deepcopy(stmt))
    if isinstance(n, ast.If):
        return f"if {ast.unparse(n.test)}:"
    if isinstance(n, (ast.For, ast.AsyncFor)):
        return f"for {ast.unparse(n.target)} in {ast.unparse(n.iter)}:"
    if isinstance(n, ast.While):
        return f"while {ast.unparse(n.test)}:"
    if isinstance(n, (ast.With, ast.AsyncWith)):
        return "with " + ", ".join(ast.unparse(i) for i in n.items) + ":"
    if isinstance(n, ast.Try):
        return "try:"
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"def {n.name}({ast.unparse(n.args)}):"
    return type(n).__name__


def flatten(stmts, out, model_names):
    for s in stmts:
        if isinstance(s, (ast.Delete, ast.Pass)):
            continue
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
            continue
        if isinstance(s, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((header(s, model_names), line_of(s), []))
            for field in ("body", "orelse", "finalbody"):
                flatten(getattr(s, field, []) or [], out, model_names)
            for h in getattr(s, "handlers", []) or []:
                flatten(h.body, out, model_names)
        else:
            out.append((normalized(s, model_names), line_of(s), assigned_names(s)))


def assigned_names(stmt):
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    names = []
    for t in targets:
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, ast.Attribute):
            names.append(t.attr)
    return names


def mentions_log_marker(node):
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and LOG_MARKER in n.value:
            return True
    return False


def enclosing_block(node):
    """The statement list (and its owner) that holds the statement containing node; None at module
    or class level, where hyperparameters live (they are compared on their own)."""
    stmt = node
    while stmt is not None and not isinstance(stmt, ast.stmt):
        stmt = parent_of(stmt)
    if stmt is None:
        return None
    owner = parent_of(stmt)
    if owner is None or isinstance(owner, (ast.Module, ast.ClassDef)):
        return None
    for field in ("body", "orelse", "finalbody"):
        block = getattr(owner, field, None)
        if isinstance(block, list) and any(s is stmt for s in block):
            return owner, field
    if isinstance(owner, ast.ExceptHandler):
        return owner, "body"
    return None


def model_names(tree, aliases):
    """Names that hold the model: assigned from torch.compile(...) or from a class of this file
    that derives from a torch Module. Calls to them are compared without their arguments."""
    module_classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                      and any((aliases.dotted(b) or "").endswith("Module") for b in n.bases)}
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            makes_model = any(isinstance(c, ast.Call) and ((aliases.dotted(c.func) or "") == "torch.compile"
                                                           or (isinstance(c.func, ast.Name) and c.func.id in module_classes))
                              for c in ast.walk(n.value))
            if makes_model:
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                    if isinstance(t, ast.Name):
                        names.add(t.id)
    return names


def val_regions(tree, models):
    """The blocks that compute and report the val loss: those that use val_tokens, and the one
    that prints the `val_loss:` log line."""
    seeds = []
    for n in ast.walk(tree):
        if (isinstance(n, ast.Name) and n.id == "val_tokens") or (isinstance(n, ast.Attribute) and n.attr == "val_tokens"):
            seeds.append(n)
        elif isinstance(n, ast.Call) and mentions_log_marker(n):
            seeds.append(n)
    regions, seen = [], set()
    for s in seeds:
        b = enclosing_block(s)
        if b is None or (id(b[0]), b[1]) in seen:
            continue
        seen.add((id(b[0]), b[1]))
        out = []
        flatten(getattr(b[0], b[1]), out, models)
        regions.append({"line": line_of(b[0]), "statements": [{"code": c, "line": l, "assigns": a} for c, l, a in out]})
    return regions


# val_batch_size and val_seq_len also size the model (max_seq_len), which records change freely
VAL_DATA_REFS = ("val_files", "val_tokens")


def uses_val_data(code_node):
    for n in ast.walk(code_node):
        name = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
        if name and (name in VAL_DATA_REFS or (is_val_name(name) and name not in ("val_batch_size", "val_seq_len"))):
            return True
    return False


def val_refs(tree, models):
    """Every statement outside class bodies that touches the val data or the val loss, so the
    candidate can be held to using them only where (and as) the anchor does."""
    out = []

    def visit(stmts, in_class):
        for s in stmts:
            if isinstance(s, ast.ClassDef):
                visit(s.body, True)
                continue
            compound = isinstance(s, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef))
            if compound:
                head = [getattr(s, f) for f in ("test", "iter", "target") if getattr(s, f, None) is not None] + [i.context_expr for i in getattr(s, "items", [])]
                if any(uses_val_data(h) for h in head):
                    out.append({"code": header(s, models), "line": line_of(s), "assigns": []})
                for f in ("body", "orelse", "finalbody"):
                    visit(getattr(s, f, []) or [], False)
                for h in getattr(s, "handlers", []) or []:
                    visit(h.body, False)
            elif not in_class and not isinstance(s, ast.Delete) and uses_val_data(s):
                out.append({"code": normalized(s, models), "line": line_of(s), "assigns": assigned_names(s)})

    visit(tree.body, False)
    return out


def all_statements(tree, models):
    out = []
    flatten(tree.body, out, models)
    return [{"code": c, "line": l, "assigns": a} for c, l, a in out if a]


def hyper_assignments(tree, aliases):
    wanted = set(VAL_FIELDS) | set(DATA_FIELDS)
    found = []
    for n in ast.walk(tree):
        targets, value = [], None
        if isinstance(n, ast.Assign):
            targets, value = n.targets, n.value
        elif isinstance(n, ast.AnnAssign) and n.value is not None:
            targets, value = [n.target], n.value
        elif isinstance(n, ast.AugAssign):
            targets, value = [n.target], n
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr" and len(n.args) == 3 \
                and isinstance(n.args[1], ast.Constant) and n.args[1].value in wanted:
            found.append({"name": n.args[1].value, "source": ast.unparse(n), "value": None, "line": line_of(n)})
            continue
        for t in targets:
            name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
            if name in wanted:
                v = const_value(value) if not isinstance(value, ast.AugAssign) else None
                found.append({"name": name, "source": ast.unparse(value), "value": v, "line": line_of(n)})
    return found


def shard_readers(tree):
    readers = []
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(isinstance(c, ast.Constant) and c.value == SHARD_MAGIC and not isinstance(c.value, bool) for c in ast.walk(n)):
                import copy
                fn = strip_docstrings(copy.deepcopy(n))
                fn.name = "_"
                readers.append({
                    "name": n.name,
                    "line": line_of(n),
                    "fingerprint": ast.dump(fn, include_attributes=False),
                    "code": ast.unparse(fn).replace("def _(", f"def {n.name}(", 1),
                })
    return readers


def inside(node, funcs):
    p = parent_of(node)
    while p is not None:
        if any(p is f for f in funcs):
            return True
        p = parent_of(p)
    return False


def file_listings(tree, aliases):
    out = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        d = aliases.dotted(n.func) or ""
        is_glob = d in ("glob.glob", "glob.iglob") or (isinstance(n.func, ast.Attribute) and n.func.attr in ("glob", "rglob", "iglob"))
        if not is_glob:
            continue
        p = parent_of(n)
        shown = p if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id == "sorted" else n
        out.append({"code": ast.unparse(shown), "line": line_of(n)})
    return out


def reads_own_code(call):
    """open(sys.argv[0]) or open(<dir>/'x.py'): the records read their own source to log it."""
    path = call.args[0] if call.args else (call.func.value if isinstance(call.func, ast.Attribute) else None)
    if path is None:
        return False
    text = ast.unparse(path)
    return "sys.argv" in text or "__file__" in text and not any(isinstance(c, ast.Constant) and isinstance(c.value, str) and not c.value.endswith(".py") for c in ast.walk(path)) \
        or any(isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.endswith(".py") for c in ast.walk(path))


def raw_reads(tree, aliases, reader_funcs):
    out = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call) or inside(n, reader_funcs):
            continue
        d = aliases.dotted(n.func) or ""
        kind = None
        if d in RAW_READ_CALLS:
            kind = d
        elif isinstance(n.func, ast.Attribute) and n.func.attr in RAW_READ_METHODS:
            kind = "." + n.func.attr + "()"
        elif (isinstance(n.func, ast.Name) and n.func.id == "open") or d in ("io.open", "builtins.open") \
                or (isinstance(n.func, ast.Attribute) and n.func.attr == "open" and d not in ("os.open",)):
            pos = 0 if isinstance(n.func, ast.Attribute) and d not in ("io.open", "builtins.open") else 1  # Path.open(mode)
            mode = n.args[pos] if len(n.args) > pos else next((k.value for k in n.keywords if k.arg == "mode"), None)
            m = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else ("r" if mode is None else None)
            if m is None or ("b" in m and not any(c in m for c in "wax")):
                kind = "open(binary)"
            elif not any(c in m for c in "wax") and not reads_own_code(n):
                kind = "open(text)"  # a text file read back (notes, JSON) can carry state too
        elif d in ("json.loads", "pickle.loads", "ast.literal_eval", "numpy.loadtxt", "numpy.genfromtxt") or \
                (isinstance(n.func, ast.Attribute) and n.func.attr == "read_text"):
            kind = d or ".read_text()"
        if kind:
            out.append({"kind": kind, "code": ast.unparse(n)[:200], "line": line_of(n)})
    return out


def literal_keys(node):
    if isinstance(node, ast.Dict):
        return [k.value if isinstance(k, ast.Constant) else "<non-literal key>" for k in node.keys]
    return ["<non-literal>"]


def compile_facts(tree, aliases):
    modes, settings = [], []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            d = aliases.dotted(n.func) or ""
            is_compile = d == "torch.compile" or (
                isinstance(n.func, ast.Attribute) and n.func.attr == "compile" and any(k.arg in ("mode", "options", "backend") for k in n.keywords))
            if is_compile:
                for k in n.keywords:
                    if k.arg is None:
                        modes.append({"setting": "**kwargs", "code": ast.unparse(n)[:200], "line": line_of(n)})
                    elif k.arg in ("mode", "backend"):
                        v = k.value.value if isinstance(k.value, ast.Constant) else "<non-literal>"
                        modes.append({"setting": f"{k.arg}={v}", "code": ast.unparse(n)[:200], "line": line_of(n)})
                    elif k.arg == "options":
                        for key in literal_keys(k.value):
                            settings.append({"key": str(key), "code": ast.unparse(n)[:200], "line": line_of(n)})
            if d.startswith("torch._inductor.config.") and d.rsplit(".", 1)[1] in ("patch", "update"):
                keys = []
                if n.args and isinstance(n.args[0], ast.Constant):
                    keys = [n.args[0].value]
                elif n.args:
                    keys = literal_keys(n.args[0])
                keys += [k.arg or "**kwargs" for k in n.keywords]
                for key in keys:
                    settings.append({"key": str(key), "code": ast.unparse(n)[:200], "line": line_of(n)})
            if isinstance(n.func, ast.Name) and n.func.id == "setattr" and len(n.args) >= 2:
                base = aliases.dotted(n.args[0]) or ""
                if base == "torch._inductor.config" or base.startswith("torch._inductor.config."):
                    key = n.args[1].value if isinstance(n.args[1], ast.Constant) else "<non-literal>"
                    prefix = base[len("torch._inductor.config"):].lstrip(".")
                    settings.append({"key": f"{prefix + '.' if prefix else ''}{key}", "code": ast.unparse(n)[:200], "line": line_of(n)})
            if d in ("os.environ.setdefault", "os.putenv") and n.args and isinstance(n.args[0], ast.Constant):
                name = str(n.args[0].value)
                if name.startswith("TORCHINDUCTOR_"):
                    settings.append({"key": f"env:{name}", "code": ast.unparse(n)[:200], "line": line_of(n)})
            if d == "os.environ.update":
                for key in (literal_keys(n.args[0]) if n.args else []) + [k.arg for k in n.keywords if k.arg]:
                    if str(key).startswith("TORCHINDUCTOR_") or key in ("<non-literal>", "<non-literal key>"):
                        settings.append({"key": f"env:{key}", "code": ast.unparse(n)[:200], "line": line_of(n)})
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            d = aliases.dotted(t) or ""
            if d.startswith("torch._inductor.config."):
                settings.append({"key": d[len("torch._inductor.config."):], "code": ast.unparse(n)[:200], "line": line_of(n)})
            if isinstance(t, ast.Subscript) and aliases.dotted(t.value) == "os.environ":
                key = t.slice.value if isinstance(t.slice, ast.Constant) else "<non-literal>"
                if str(key).startswith("TORCHINDUCTOR_") or key == "<non-literal>":
                    settings.append({"key": f"env:{key}", "code": ast.unparse(n)[:200], "line": line_of(n)})
    return modes, settings


def without_kernels(tree):
    """The module without its Triton kernels: their variables (a `val_target` in a fused
    cross-entropy) are GPU registers, not the val loss."""
    def is_kernel(n):
        return isinstance(n, ast.FunctionDef) and any("triton" in ast.unparse(d) for d in n.decorator_list)
    return ast.Module(body=[n for n in tree.body if not is_kernel(n)], type_ignores=[])


def facts_of_file(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as e:
        return {"parsed": False, "error": f"SyntaxError at line {e.lineno}: {e.msg}"}
    add_parents(tree)
    aliases = Aliases(tree)
    readers = shard_readers(tree)
    READER_NAMES.clear()
    READER_NAMES.update(r["name"] for r in readers)
    reader_nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(n.name == r["name"] and line_of(n) == r["line"] for r in readers)]
    modes, settings = compile_facts(tree, aliases)
    models = model_names(tree, aliases)
    plain = without_kernels(tree)
    env = settingFacts.env_writes(tree, aliases)
    return {
        "parsed": True,
        "hyper": hyper_assignments(tree, aliases) + settingFacts.indirect_hyper(tree),
        "valRegions": val_regions(tree, models),
        "assignments": all_statements(plain, models),
        "valRefs": val_refs(plain, models),
        "shardReaders": readers,
        "listings": file_listings(tree, aliases),
        "rawReads": raw_reads(tree, aliases, reader_nodes),
        "compileModes": modes,
        "inductorSettings": settings,
        "compilerSettings": settingFacts.compiler_settings(tree, aliases, env),
        "envWrites": env,
        "seeds": settingFacts.seeds(tree, aliases),
        "evalLoss": settingFacts.eval_loss(tree, path),
        "timed": ruleFacts.timed_region(tree, aliases, models, READER_NAMES),
        "stepCount": ruleFacts.step_control(tree, aliases, ruleFacts.class_consts(tree)),
        "dataOrder": data_order(tree, aliases, models),
        "spawns": [{"key": ast.unparse(c.func), "code": ast.unparse(c)[:200], "line": c.lineno} for c in ast.walk(tree)
                   if isinstance(c, ast.Call) and (aliases.dotted(c.func) or "").split(".")[0] in ("subprocess", "os", "multiprocessing", "pty")
                   and (aliases.dotted(c.func) or "").split(".")[-1] in SPAWN_CALLS],
    }


def passes_list(v):
    """The value is the file list again (sliced, iterated, reordered), not something built from it."""
    if isinstance(v, (ast.Name, ast.Subscript, ast.ListComp)):
        return True
    return isinstance(v, ast.Call) and isinstance(v.func, (ast.Name, ast.Attribute)) and \
        (v.func.id if isinstance(v.func, ast.Name) else v.func.attr) in ("iter", "list", "reversed", "sorted", "cycle", "islice", "chain", "tuple")


def data_order(tree, aliases, models):
    """Statements of the functions that list shards which touch the list of files after it is made
    (its order, what is skipped, how it is walked)."""
    out = []
    for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        listing = [a for a in ast.walk(fn) if isinstance(a, ast.Assign) and any(isinstance(c, ast.Call) and (
            (aliases.dotted(c.func) or "") in ("glob.glob", "glob.iglob") or (isinstance(c.func, ast.Attribute) and c.func.attr in ("glob", "rglob", "iglob"))) for c in ast.walk(a.value))]
        names = {t.id for a in listing for t in a.targets if isinstance(t, ast.Name)}
        if not names:
            continue
        grew = True
        while grew:  # names derived from the file list (an iterator over it) count as the list too
            grew = False
            for a in ast.walk(fn):
                if isinstance(a, ast.Assign) and a not in listing and refs_name(a.value, names) and passes_list(a.value):
                    new = {t.id for t in a.targets if isinstance(t, ast.Name)} - names
                    if new and not any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in READER_NAMES | {"next"} for c in ast.walk(a.value)):
                        names |= new
                        grew = True
        for st in ast.walk(fn):
            if isinstance(st, (ast.Assign, ast.AugAssign)) and st not in listing:
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                if any(isinstance(t, ast.Name) and t.id in names for t in targets):
                    out.append({"line": st.lineno, "code": normalized(st, models), "assigns": assigned_names(st)})
            elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and refs_name(st.value, names):
                out.append({"line": st.lineno, "code": normalized(st, models), "assigns": []})
    return out


def main():
    root = sys.argv[1]
    files = {}
    # numbers in any of the submission's files: an eval path may restate a kernel's constants
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(".py"):
                try:
                    t = ast.parse(open(os.path.join(dirpath, name), encoding="utf-8", errors="replace").read())
                except SyntaxError:
                    continue
                settingFacts.NUMBERS_BY_FILE[os.path.join(dirpath, name)] = settingFacts.numbers([t])
    # no folder is skipped: a module hidden under logs/ or .cache/ is still read
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(dirnames)
        for name in sorted(filenames):
            if name.endswith(".py") and len(files) < MAX_FILES:
                p = os.path.join(dirpath, name)
                files[os.path.relpath(p, root)] = facts_of_file(p)
    json.dump({"files": files}, sys.stdout)


if __name__ == "__main__":
    main()
