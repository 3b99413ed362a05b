"""Facts for the rules that follow the code's flow rather than compare statements: where the clock
starts and stops, what work runs outside it, what decides the step count, what the model does only
in eval mode, and the seeds, environment and compiler settings a script sets. Imported by
scriptFacts.py; each fact carries its line so a rejection can point at it."""
import ast

CLOCK_CALLS = {"time.perf_counter", "time.time", "time.monotonic", "time.perf_counter_ns", "time.time_ns"}
TRAIN_ATTRS = {"backward", "step", "step_optimizers"}
SEED_CALLS = {"torch.manual_seed", "torch.cuda.manual_seed", "torch.cuda.manual_seed_all", "torch.random.manual_seed",
              "random.seed", "numpy.random.seed", "numpy.random.default_rng", "numpy.random.RandomState", "random.Random",
              "torch.seed", "torch.cuda.seed", "torch.cuda.seed_all"}
CONFIG_ROOTS = ("torch._inductor.config", "torch._dynamo.config", "torch._functorch.config", "torch.compiler.config",
                "torch.fx.experimental._config", "torch._export.config", "triton.config", "torch._inductor.cudagraph_trees")
CACHE_CALLS = ("torch.compiler.load_cache_artifacts", "torch.compiler.save_cache_artifacts", "torch._inductor.codecache",
               "torch._dynamo.package", "torch.compiler.reset")
COMPILE_ENV_PREFIXES = ("TORCHINDUCTOR_", "TORCHDYNAMO_", "TORCH_COMPILE", "TORCH_INDUCTOR", "TRITON_", "TORCHFUNCTORCH_", "PYTORCH_JIT")
TRAINING_TESTS = ("training",)


def _dotted(aliases, node):
    return aliases.dotted(node) or ""


def _src(node):
    return ast.unparse(node)[:200]


def _calls(node):
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def training_functions(tree):
    """Local functions that train (call .backward() or an optimizer step), directly or through one another."""
    defs = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    train = set()
    changed = True
    while changed:
        changed = False
        for name, fn in defs.items():
            if name in train:
                continue
            for c in _calls(fn):
                f = c.func
                if (isinstance(f, ast.Attribute) and f.attr in TRAIN_ATTRS) or (isinstance(f, ast.Name) and f.id in train):
                    train.add(name)
                    changed = True
                    break
    return train


FACTORIES = {"empty", "zeros", "ones", "tensor", "randn", "rand", "full"}


def trains(node, train_fns):
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for c in _calls(node):
        f = c.func
        if isinstance(f, ast.Attribute) and f.attr in TRAIN_ATTRS:
            # `torch.empty(1, requires_grad=True).backward()` (a CUDA init work-around) touches no parameter
            v = f.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr in FACTORIES and ast.unparse(v.func.value) == "torch":
                continue
            return True
        if isinstance(f, ast.Name) and f.id in train_fns:
            return True
    return False


def draws(node, loaders):
    """next(loader) or loader.send(...) on one of the training loaders."""
    for c in _calls(node):
        f = c.func
        if isinstance(f, ast.Name) and f.id == "next" and c.args and isinstance(c.args[0], ast.Name) and c.args[0].id in loaders:
            return True
        if isinstance(f, ast.Attribute) and f.attr == "send" and isinstance(f.value, ast.Name) and f.value.id in loaders:
            return True
    return False


def is_clock_start(stmt, aliases):
    return isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and _dotted(aliases, stmt.value.func) in CLOCK_CALLS \
        and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)


def leaves(stmts):
    """Simple statements in execution order, with the compound statements' tests as their own entries."""
    for s in stmts:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(s, (ast.If, ast.While)):
            yield s.test, s
            yield from leaves(s.body)
            yield from leaves(s.orelse)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            yield s.iter, s
            yield from leaves(s.body)
            yield from leaves(s.orelse)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for i in s.items:
                yield i.context_expr, s
            yield from leaves(s.body)
        elif isinstance(s, ast.Try):
            for part in (s.body, *[h.body for h in s.handlers], s.orelse, s.finalbody):
                yield from leaves(part)
        else:
            yield s, s


def timed_region(tree, aliases, models, shard_reader_names):
    """The module-level clock start, the work done before it that stays in the model, and the
    training done while the clock is stopped inside the timed loop."""
    body = tree.body
    train_fns = training_functions(tree)
    start = next((i for i, s in enumerate(body) if is_clock_start(s, aliases)), None)
    out = {"clockLine": 0, "problems": [], "clockWrites": []}
    if start is None:
        return out
    clock = body[start].targets[0].id
    out["clockLine"] = body[start].lineno
    loop = next((s for s in body[start + 1:] if isinstance(s, (ast.For, ast.While))), None)
    loaders = set()
    if loop is not None:
        for c in _calls(loop):
            f = c.func
            if isinstance(f, ast.Name) and f.id == "next" and c.args and isinstance(c.args[0], ast.Name):
                loaders.add(c.args[0].id)
            if isinstance(f, ast.Attribute) and f.attr == "send" and isinstance(f.value, ast.Name):
                loaders.add(f.value.id)
    loaders = {n for n in loaders if not n.startswith("val")}
    pre = body[:start]
    # training before the clock must be undone: the model's state restored after the last of it
    last_train = max((i for i, s in enumerate(pre) if trains(s, train_fns)), default=None)
    if last_train is not None:
        first_train = min(i for i, s in enumerate(pre) if trains(s, train_fns))
        restores = [c for s in pre[last_train + 1:] for c in _calls(s)
                    if isinstance(c.func, ast.Attribute) and c.func.attr == "load_state_dict" and _dotted(aliases, c.func.value) in models]
        restored = bool(restores)
        # the state put back must be one saved before the training it undoes
        for c in restores:
            roots = {n.id for a in c.args for n in ast.walk(a) if isinstance(n, ast.Name)}
            saved_at = [i for i, s in enumerate(pre) for t in getattr(s, "targets", []) if isinstance(t, ast.Name) and t.id in roots]
            if saved_at and min(saved_at) > first_train:
                s = pre[min(saved_at)]
                out["problems"].append({"line": s.lineno, "code": _src(s), "why": "the state restored after the warm-up is saved after the warm-up trained, so its training is kept"})
        if not restored:
            s = pre[last_train]
            out["problems"].append({"line": s.lineno, "code": _src(s), "why": "trains before the clock starts and the model's state is not restored afterwards (load_state_dict of the initial state), so the warm-up's training counts toward the result"})
    # batches drawn before the clock into something the timed loop uses, from the loop's loader, and shards read at module level
    gen_fns = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and any(isinstance(y, (ast.Yield, ast.YieldFrom)) for y in ast.walk(n))}
    made_loaders = {t.id for s in pre if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) and s.value.func.id in gen_fns
                    for t in s.targets if isinstance(t, ast.Name) and not t.id.startswith("val")}
    for s in pre:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or not draws(s, made_loaders):
            continue
        kept = {t.id for a in ast.walk(s) if isinstance(a, ast.Assign) for t in a.targets if isinstance(t, ast.Name)}
        kept |= {c.func.value.id for c in _calls(s) if isinstance(c.func, ast.Attribute) and c.func.attr in ("append", "extend") and isinstance(c.func.value, ast.Name)}
        if loop is not None:  # a name the loop assigns itself holds the loop's own batch
            kept -= {t.id for a in ast.walk(loop) if isinstance(a, (ast.Assign, ast.For)) for t in ast.walk(a.targets[0] if isinstance(a, ast.Assign) else a.target) if isinstance(t, ast.Name)}
        if loop is not None and kept and refs_name_any(loop, kept):
            out["problems"].append({"line": s.lineno, "code": _src(s), "why": "draws training batches before the clock starts and keeps them for the timed loop"})
    for i, s in enumerate(pre):
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        made = {t.id for t in getattr(s, "targets", []) if isinstance(t, ast.Name)}
        later_made = any(isinstance(t, ast.Name) and t.id in loaders for s2 in pre[i + 1:] for t in getattr(s2, "targets", []))
        if draws(s, loaders - made) and not later_made:
            out["problems"].append({"line": s.lineno, "code": _src(s), "why": "draws training batches from the timed loop's loader before the clock starts"})
        if any(isinstance(c.func, ast.Name) and c.func.id in shard_reader_names for c in _calls(s)):
            out["problems"].append({"line": s.lineno, "code": _src(s), "why": "reads data shards at module level, before the clock starts"})
    if loop is None:
        return out
    # inside the timed loop: training while the clock is stopped
    paused = False
    for expr, owner in leaves(loop.body):
        stmt = expr if isinstance(expr, ast.stmt) else None
        if stmt is not None and isinstance(stmt, ast.AugAssign) and any(isinstance(n, ast.Name) and n.id == clock for n in ast.walk(stmt.value)):
            paused = True
            out["clockWrites"].append({"line": stmt.lineno, "code": _src(stmt)})
            continue
        if stmt is not None and is_clock_start(stmt, aliases) and stmt.targets[0].id == clock:
            paused = False
            out["clockWrites"].append({"line": stmt.lineno, "code": _src(stmt)})
            continue
        if paused and (trains(expr, train_fns) or draws(expr, loaders)):
            out["problems"].append({"line": owner.lineno, "code": _src(expr), "why": "trains or draws training batches while the clock is stopped"})
    return out


def step_control(tree, aliases, body_consts):
    """What decides how many steps run: the loop's break conditions and the step-count settings."""
    problems = []
    start = next((i for i, s in enumerate(tree.body) if is_clock_start(s, aliases)), None)
    loop = next((s for s in tree.body[start + 1:] if isinstance(s, (ast.For, ast.While))), None) if start is not None else None
    if loop is not None:
        guards = set()
        for n in ast.walk(loop):
            if isinstance(n, ast.If) and any(isinstance(b, (ast.Break, ast.Return)) for b in ast.walk(n)):
                guards.add(n)
        names = {x.id for g in guards for x in ast.walk(g.test) if isinstance(x, ast.Name)}
        tests = [g.test for g in guards]
        if isinstance(loop, ast.While):
            tests.append(loop.test)
        for n in ast.walk(loop):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in n.targets):
                tests.append(n.value)
        for t in tests:
            bad = [x for x in ast.walk(t) if (isinstance(x, ast.Name) and ((x.id.startswith("val_") and x.id != "val_loss_every") or "time" in x.id)) or
                   (isinstance(x, ast.Attribute) and x.attr.startswith("val_") and x.attr != "val_loss_every") or
                   (isinstance(x, ast.Call) and _dotted(aliases, x.func) in CLOCK_CALLS)]
            if bad:
                problems.append({"line": getattr(t, "lineno", 0), "code": _src(t), "why": "the loop's end depends on the val loss or the clock: the step count must be fixed in advance"})
    for n in ast.walk(tree):
        target = n.target if isinstance(n, ast.AnnAssign) and n.value is not None else (n.targets[0] if isinstance(n, ast.Assign) and len(n.targets) == 1 else None)
        if target is None:
            continue
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
        if name in ("num_iterations", "num_scheduled_iterations", "num_extension_iterations"):
            if body_consts(n.value) is None:
                problems.append({"line": n.lineno, "code": _src(n), "why": f"{name} is not a constant: the step count must be fixed in the code"})
    return problems


def class_consts(tree):
    """A constant evaluator that also knows names bound to constants in class bodies and at module level."""
    from scriptFacts import const_value
    env = {}
    scopes = [tree.body] + [c.body for c in ast.walk(tree) if isinstance(c, ast.ClassDef)]
    for _ in range(3):
        for body in scopes:
            for s in body:
                tgt = s.target if isinstance(s, ast.AnnAssign) and s.value is not None else (s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else None)
                if isinstance(tgt, ast.Name):
                    v = ev(s.value, env, const_value)
                    if v is not None:
                        env[tgt.id] = v
    return lambda node: ev(node, env, const_value)


def ev(node, env, const_value):
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.BinOp):
        a, b = ev(node.left, env, const_value), ev(node.right, env, const_value)
        if a is None or b is None:
            return None
        return const_value(ast.BinOp(left=ast.Constant(a), op=node.op, right=ast.Constant(b)))
    return const_value(node)


def refs_name_any(node, names):
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))
