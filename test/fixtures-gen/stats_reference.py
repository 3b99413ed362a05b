"""Reference values for test/unit/stats.test.ts, computed once with scipy.

Run from the repository root (scipy only for this one-off, never a project dependency):
    pip install --target /tmp/scipy scipy
    PYTHONPATH=/tmp/scipy python3 test/fixtures-gen/stats_reference.py
and paste its output into the SCIPY constant of the test. The samples are the final val losses and
train times of ../shared/fixtures/speedrun-logs/expected.json, grouped by record-name prefix; the
test rebuilds the same groups from the same file.
"""
import json
import pathlib

from scipy import stats

EXPECTED = pathlib.Path(__file__).resolve().parents[2] / '..' / 'shared' / 'fixtures' / 'speedrun-logs' / 'expected.json'
records = json.loads(EXPECTED.read_text())


def group(prefix, field):
    return [r[field] for r in records if r['record'].startswith(prefix)]


# (name, record prefix, target): one-sided one-sample t-test of mean < target.
LOSS_CASES = [
    ('all', '', 3.28),
    ('2025-09', '2025-09', 3.28),
    ('2025-12', '2025-12', 3.279),
    ('2026-02', '2026-02', 3.2785),
]
# (name, candidate prefix, reference prefix): one-sided Welch test candidate < reference, 95% CI.
TIME_CASES = [
    ('2026-02 vs 2026-01', '2026-02', '2026-01'),
    ('2025-12-2 vs 2025-12-1', '2025-12-2', '2025-12-1'),
    ('2025-10 vs 2025-11 (slower)', '2025-10', '2025-11'),
]

print('const SCIPY = {')
print('  loss: [')
for name, prefix, target in LOSS_CASES:
    r = stats.ttest_1samp(group(prefix, 'val_loss'), target, alternative='less')
    print(f"    {{ name: {name!r}, prefix: {prefix!r}, target: {target!r}, t: {float(r.statistic)!r}, df: {float(r.df)!r}, p: {float(r.pvalue)!r} }},")
print('  ],')
print('  time: [')
for name, cand, ref in TIME_CASES:
    a, b = group(cand, 'train_time_ms'), group(ref, 'train_time_ms')
    less = stats.ttest_ind(a, b, equal_var=False, alternative='less')
    two = stats.ttest_ind(a, b, equal_var=False)
    lo, hi = two.confidence_interval(0.95)  # of mean(a) - mean(b); the speedup is its negative
    print(
        f"    {{ name: {name!r}, candidate: {cand!r}, reference: {ref!r}, t: {float(-less.statistic)!r}, df: {float(less.df)!r}, "
        f"p: {float(less.pvalue)!r}, ciLow: {float(-hi)!r}, ciHigh: {float(-lo)!r} }},"
    )
print('  ],')
print('};')
