"""Facts about what a script sets beyond its code: seeds, environment variables, compiler and
dynamo settings (however reached: attribute, setattr, patch, importlib, environment), indirect
writes to the hyperparameters, and what the model does only in eval mode. Imported by scriptFacts.py."""
import ast

from ruleFacts import CACHE_CALLS, COMPILE_ENV_PREFIXES, CONFIG_ROOTS, SEED_CALLS, _src

# numeric constants of every file of the submission (filled by scriptFacts.main)
NUMBERS_BY_FILE = {}
VAL_FIELDS = ("val_tokens", "val_files", "val_batch_size", "val_seq_len")


def seeds(tree, aliases):
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            d = aliases.dotted(n.func) or ""
            if d in SEED_CALLS and (n.args or n.keywords or not d.endswith(("Random", "default_rng", "RandomState"))) \
                    or (isinstance(n.func, ast.Attribute) and n.func.attr in ("manual_seed", "seed") and d not in SEED_CALLS and n.args):
                out.append({"key": d or n.func.attr, "code": _src(n), "line": n.lineno})
    return out


def env_writes(tree, aliases):
    """Environment variables the script sets: os.environ[...] =, setdefault, update, putenv."""
    out = []

    def add(name, node):
        out.append({"key": str(name), "code": _src(node), "line": node.lineno})

    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            d = aliases.dotted(n.func) or ""
            if d in ("os.environ.setdefault", "os.putenv", "os.environ.__setitem__"):
                add(n.args[0].value if n.args and isinstance(n.args[0], ast.Constant) else "<non-literal>", n)
            if d == "os.environ.update":
                if n.args:
                    a = n.args[0]
                    for k in (a.keys if isinstance(a, ast.Dict) else [None]):
                        add(k.value if isinstance(k, ast.Constant) else "<non-literal>", n)
                for k in n.keywords:
                    add(k.arg or "<non-literal>", n)
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and aliases.dotted(t.value) == "os.environ":
                add(t.slice.value if isinstance(t.slice, ast.Constant) else "<non-literal>", n)
    return out


def config_root(d):
    for r in CONFIG_ROOTS:
        if d == r or d.startswith(r + "."):
            return r
    return None


def compiler_settings(tree, aliases, env):
    """Settings of the compiler stack as `root.key = value` strings; value changes count too."""
    out = []
    for n in ast.walk(tree):
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            d = aliases.dotted(t) or ""
            r = config_root(d)
            if r and d != r:
                out.append({"key": f"{d} = {ast.unparse(n.value) if n.value is not None else ''}", "code": _src(n), "line": n.lineno})
        if isinstance(n, ast.Call):
            d = aliases.dotted(n.func) or ""
            r = config_root(d)
            if r and d.rsplit(".", 1)[-1] in ("patch", "update", "load_config", "_set", "set"):
                out.append({"key": f"{d}({', '.join(ast.unparse(a) for a in n.args)}{', ' if n.args and n.keywords else ''}{', '.join(ast.unparse(k) for k in n.keywords)})", "code": _src(n), "line": n.lineno})
            if isinstance(n.func, ast.Name) and n.func.id == "setattr" and len(n.args) >= 2:
                base = aliases.dotted(n.args[0]) or ""
                if config_root(base) or base in ("torch._inductor", "torch._dynamo", "torch._functorch"):
                    out.append({"key": f"setattr {base}.{ast.unparse(n.args[1])}", "code": _src(n), "line": n.lineno})
            if any(d == c or d.startswith(c + ".") for c in CACHE_CALLS):
                out.append({"key": f"cache {d}", "code": _src(n), "line": n.lineno})
    for e in env:
        if e["key"].startswith(COMPILE_ENV_PREFIXES) or e["key"] == "<non-literal>":
            out.append({"key": f"env:{e['key']}", "code": e["code"], "line": e["line"]})
    return out


def indirect_hyper(tree):
    from scriptFacts import const_value
    parents = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}

    """Hyperparameters written around their fields: constructor keywords, vars()/__dict__,
    dataclasses.replace, setattr with a computed name, string keys naming a val field."""
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            name = n.func.id if isinstance(n.func, ast.Name) else n.func.attr if isinstance(n.func, ast.Attribute) else ""
            for k in n.keywords:
                if k.arg in VAL_FIELDS:
                    out.append({"name": k.arg, "source": _src(n), "value": None, "line": n.lineno})
            if name in ("replace", "__setattr__") or (name == "setattr" and len(n.args) >= 2 and not isinstance(n.args[1], ast.Constant)):
                out.append({"name": "val_tokens", "source": _src(n), "value": None, "line": n.lineno})
            if name == "update" and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Attribute) and n.func.value.attr == "__dict__":
                out.append({"name": "val_tokens", "source": _src(n), "value": None, "line": n.lineno})
        if isinstance(n, ast.BinOp) and const_value(n) in VAL_FIELDS and writes_with(n, parents):
            out.append({"name": const_value(n), "source": _src(n), "value": None, "line": n.lineno})
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Subscript):
                    v = t.value
                    via = (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "vars") or (isinstance(v, ast.Attribute) and v.attr in ("__dict__", "__dataclass_fields__"))
                    if via:
                        out.append({"name": "val_tokens", "source": _src(n), "value": None, "line": n.lineno})
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in VAL_FIELDS and writes_with(n, parents):
            out.append({"name": n.value, "source": repr(n.value), "value": None, "line": getattr(n, "lineno", 0)})
    return out


def writes_with(name_node, parents):
    """A val field's name used to write it: a subscript being assigned, a key of a dict spread
    into a call (`**{...}`) or given to update(), the name argument of setattr. Reading
    (getattr, a log line) is fine."""
    p = parents.get(id(name_node))
    if isinstance(p, ast.Subscript):
        return isinstance(p.ctx, ast.Store)
    if isinstance(p, ast.Dict):
        q = parents.get(id(p))
        if isinstance(q, ast.keyword) and q.arg is None:
            return True
        return isinstance(q, ast.Call) and isinstance(q.func, ast.Attribute) and q.func.attr in ("update", "replace", "setdefault")
    if isinstance(p, ast.Call):
        f = p.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return name in ("setattr", "__setattr__", "setdefault", "__setitem__") and len(p.args) > 1 and p.args[1] is name_node or (name == "__setitem__" and p.args and p.args[0] is name_node)
    return False


def training_value(test, training):
    """The truth of a test when self.training is `training`: True, False or None (unknown)."""
    if isinstance(test, ast.Attribute) and test.attr == "training":
        return training
    if isinstance(test, ast.Call) and (ast.unparse(test.func).endswith("is_grad_enabled")):
        return training
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        v = training_value(test.operand, training)
        return None if v is None else not v
    if isinstance(test, ast.BoolOp):
        vals = [training_value(v, training) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in vals else (True if all(v is True for v in vals) else None)
        return True if True in vals else (False if all(v is False for v in vals) else None)
    return None


def eval_only_parts(fn):
    """(node, is_stmt_list) pieces of a function that run only in eval mode."""
    parts = []
    for n in ast.walk(fn):
        if isinstance(n, (ast.If, ast.IfExp)):
            t, f = training_value(n.test, True), training_value(n.test, False)
            body = n.body if isinstance(n, ast.If) else [n.body]
            orelse = n.orelse if isinstance(n, ast.If) else [n.orelse]
            if f is True and t is False:
                parts.append((n, body, orelse))
            elif f is False and t is True:
                parts.append((n, orelse, body))
    return parts


def numbers(nodes):
    return {x.value for node in nodes for x in ast.walk(node) if isinstance(x, ast.Constant) and isinstance(x.value, (int, float)) and not isinstance(x.value, bool)}


def eval_loss(tree, path=None):
    """What the model computes only in eval mode that changes the loss: arithmetic on it, a loss
    other than the mean cross-entropy of all targets, numbers the training path does not use."""
    out = []
    file_numbers = None
    for cls in [c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]:
        for fn in [f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            if fn.name in ("train", "eval") and len(fn.args.args) <= 2:
                out.append({"line": fn.lineno, "code": f"def {fn.name}(...)", "why": f"the model overrides {fn.name}(), which switches what it computes between training and evaluation"})
            for owner, arm, other in eval_only_parts(fn):
                eval_nodes = [x for node in arm for x in ast.walk(node)]
                loss_names = set()
                for node in arm + other:
                    for x in ast.walk(node):
                        if isinstance(x, ast.Assign) and any(isinstance(c, ast.Call) and "cross_entropy" in ast.unparse(c.func) for c in ast.walk(x.value)):
                            loss_names |= {t.id for t in x.targets if isinstance(t, ast.Name)}
                loss_names.add("loss")
                why = None
                for x in eval_nodes:
                    if isinstance(x, ast.Call) and "cross_entropy" in ast.unparse(x.func):
                        for k in x.keywords:
                            if k.arg != "reduction" or not (isinstance(k.value, ast.Constant) and k.value.value == "mean"):
                                why = f"the eval loss passes {ast.unparse(k)} to the cross-entropy (it must be the mean over all targets)"
                    if isinstance(x, ast.Slice) and x.step is not None:
                        why = "the eval path takes a strided subset"
                    if isinstance(x, ast.Subscript) and "target" in ast.unparse(x.value):
                        why = "the eval path uses a subset of the targets"
                    if isinstance(x, ast.BinOp) and any((isinstance(o, ast.Name) and o.id in loss_names) or (isinstance(o, ast.Call) and ("cross_entropy" in ast.unparse(o.func) or "forward" in ast.unparse(o.func))) for o in (x.left, x.right)):
                        why = "the eval path does arithmetic on the loss"
                    if isinstance(x, ast.Return) and x.value is not None and not isinstance(x.value, (ast.Name, ast.Call)):
                        why = "the eval path returns an expression of the loss, not the loss"
                if why is None and isinstance(owner, ast.IfExp):
                    ev, tr = numbers(arm), numbers(other)
                    if ev and tr and ev != tr:
                        why = "a number of the computation differs between training and eval mode"
                if why is None:
                    if file_numbers is None:
                        all_eval = {id(x) for c2 in ast.walk(tree) if isinstance(c2, ast.ClassDef) for f2 in c2.body if isinstance(f2, ast.FunctionDef) for _, a, _o in eval_only_parts(f2) for node in a for x in ast.walk(node)}
                        file_numbers = {x.value for x in ast.walk(tree) if id(x) not in all_eval and isinstance(x, ast.Constant) and isinstance(x.value, (int, float))}
                        # another file's numbers count too (a kernel in triton_kernels.py)
                        file_numbers |= {v for p, vs in NUMBERS_BY_FILE.items() if p != path for v in vs}
                    new = [v for v in numbers(arm) if v not in file_numbers]
                    if new:
                        why = f"the eval path uses numbers ({', '.join(map(str, new[:3]))}) found nowhere else in the files"
                if why:
                    code = ast.unparse(owner) if isinstance(owner, ast.IfExp) else "; ".join(ast.unparse(s) for s in arm)[:200]
                    out.append({"line": owner.lineno, "code": code[:200], "why": why})
    return out
