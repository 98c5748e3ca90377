"""Golden fixtures for tests/optim: PyTorch's optimizers and schedules on a fixed small problem.

Model: W (3, 4), b (4,); data x (5, 3), y (5, 4); loss = sum((x @ W + b - y)^2).
For every configuration below it records W and b before training ("<config>.W.0") and after
each of 20 steps ("<config>.W.<k>", k = 1..20). Schedule configurations also record the lr
of every group after each scheduler step ("<config>.lr", shape (21, groups): row k is the lr
used by step k + 1). Pure schedules ("sched.*") record 30 lr values per group with SGD.

Run from anywhere:  /usr/bin/python3 tests/golden/make_optim_fixtures.py
Writes tests/golden/data/optim.safetensors. Keep the configurations in step with
tests/optim/test_optim_pytorch.cpp.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import save  # noqa: E402

STEPS = 20
torch.manual_seed(0)
X = torch.randn(5, 3)
Y = torch.randn(5, 4)
W0 = torch.randn(3, 4) * 0.5
B0 = torch.randn(4) * 0.5


def cosine_warmup(warmup, total, min_lr, base):
    """Multiplier of CosineWarmupLR (optim/lr_scheduler.hpp), for LambdaLR."""
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        if s > total:
            return min_lr / base
        progress = (s - warmup) / (total - warmup)
        return (min_lr + (base - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))) / base
    return f


def noam(d_model, warmup, factor):
    """NoamLR (optim/lr_scheduler.hpp) as a LambdaLR multiplier on base lr 1."""
    def f(s):
        n = s + 1
        return factor * d_model ** -0.5 * min(n ** -0.5, n * warmup ** -1.5)
    return f


A = torch.optim
# name -> (optimizer factory taking (W, b), schedule factory or None)
CONFIGS = {
    "sgd": (lambda W, b: A.SGD([W, b], lr=0.01), None),
    "sgd_wd": (lambda W, b: A.SGD([W, b], lr=0.01, weight_decay=0.1), None),
    "sgd_momentum": (lambda W, b: A.SGD([W, b], lr=0.01, momentum=0.9), None),
    "sgd_dampening": (lambda W, b: A.SGD([W, b], lr=0.01, momentum=0.9, dampening=0.5, weight_decay=0.05), None),
    "sgd_nesterov": (lambda W, b: A.SGD([W, b], lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01), None),
    "sgd_groups": (lambda W, b: A.SGD([{"params": [W], "lr": 0.02, "weight_decay": 0.1}, {"params": [b]}],
                                      lr=0.005, momentum=0.8), None),
    "adam": (lambda W, b: A.Adam([W, b], lr=0.01), None),
    "adam_wd": (lambda W, b: A.Adam([W, b], lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1), None),
    "adam_amsgrad": (lambda W, b: A.Adam([W, b], lr=0.01, amsgrad=True, weight_decay=0.01), None),
    "adam_groups": (lambda W, b: A.Adam([{"params": [W], "lr": 0.03, "weight_decay": 0.1}, {"params": [b]}],
                                        lr=0.01), None),
    "adamw": (lambda W, b: A.AdamW([W, b], lr=0.01, weight_decay=0.1), None),
    "adamw_amsgrad": (lambda W, b: A.AdamW([W, b], lr=0.01, betas=(0.85, 0.99), weight_decay=0.05,
                                           amsgrad=True), None),
    "adamw_groups": (lambda W, b: A.AdamW([{"params": [W]}, {"params": [b], "lr": 0.002, "weight_decay": 0.0}],
                                          lr=0.01, weight_decay=0.2), None),
    "rmsprop": (lambda W, b: A.RMSprop([W, b], lr=0.01), None),
    "rmsprop_momentum": (lambda W, b: A.RMSprop([W, b], lr=0.01, alpha=0.9, momentum=0.9, weight_decay=0.1), None),
    "rmsprop_centered": (lambda W, b: A.RMSprop([W, b], lr=0.01, centered=True, momentum=0.5, eps=1e-6), None),
    "rmsprop_groups": (lambda W, b: A.RMSprop([{"params": [W], "weight_decay": 0.1}, {"params": [b], "lr": 0.003}],
                                              lr=0.01, centered=True), None),
    "adagrad": (lambda W, b: A.Adagrad([W, b], lr=0.1), None),
    "adagrad_full": (lambda W, b: A.Adagrad([W, b], lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                            initial_accumulator_value=0.1, eps=1e-8), None),
    "adagrad_groups": (lambda W, b: A.Adagrad([{"params": [W], "lr": 0.05}, {"params": [b], "weight_decay": 0.2}],
                                              lr=0.1), None),
    # Optimizers driven by schedules.
    "sgd_steplr": (lambda W, b: A.SGD([W, b], lr=0.02, momentum=0.9),
                   lambda opt: A.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)),
    "adam_exponentiallr": (lambda W, b: A.Adam([W, b], lr=0.02),
                           lambda opt: A.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
    "adamw_cosine": (lambda W, b: A.AdamW([{"params": [W]}, {"params": [b], "lr": 0.01}], lr=0.05),
                     lambda opt: A.lr_scheduler.LambdaLR(opt, [cosine_warmup(4, 15, 0.001, 0.05),
                                                               cosine_warmup(4, 15, 0.001, 0.01)])),
    "adam_noam": (lambda W, b: A.Adam([W, b], lr=1.0, betas=(0.9, 0.98), eps=1e-9),
                  lambda opt: A.lr_scheduler.LambdaLR(opt, noam(8, 5, 2.0))),
    "sgd_lambdalr": (lambda W, b: A.SGD([W, b], lr=0.02),
                     lambda opt: A.lr_scheduler.LambdaLR(opt, lambda s: 1.0 / (1.0 + 0.5 * s))),
}

# Pure schedules: 30 lrs per group, two groups with base lrs 0.1 and 0.01.
SCHEDULES = {
    "steplr": lambda opt: A.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    "exponentiallr": lambda opt: A.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    "lambdalr": lambda opt: A.lr_scheduler.LambdaLR(opt, lambda s: 0.95 ** s + 0.01 * s),
    "cosine": lambda opt: A.lr_scheduler.LambdaLR(opt, [cosine_warmup(5, 20, 0.001, 0.1),
                                                        cosine_warmup(5, 20, 0.001, 0.01)]),
    "noam": lambda opt: A.lr_scheduler.LambdaLR(opt, noam(512, 10, 1.0)),
}


def main():
    out = {"x": X, "y": Y, "W": W0, "b": B0}
    for name, (make_optimizer, make_schedule) in CONFIGS.items():
        W = W0.clone().requires_grad_()
        b = B0.clone().requires_grad_()
        opt = make_optimizer(W, b)
        schedule = make_schedule(opt) if make_schedule else None
        lrs = [[g["lr"] for g in opt.param_groups]]
        out[f"{name}.W.0"], out[f"{name}.b.0"] = W.detach().clone(), b.detach().clone()
        for k in range(1, STEPS + 1):
            opt.zero_grad()
            loss = ((X @ W + b - Y) ** 2).sum()
            loss.backward()
            opt.step()
            if schedule:
                schedule.step()
                lrs.append(schedule.get_last_lr())
            out[f"{name}.W.{k}"], out[f"{name}.b.{k}"] = W.detach().clone(), b.detach().clone()
        if schedule:
            out[f"{name}.lr"] = torch.tensor(lrs, dtype=torch.float64)

    for name, make_schedule in SCHEDULES.items():
        p, q = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
        opt = A.SGD([{"params": [p], "lr": 0.1}, {"params": [q], "lr": 0.01}], lr=0.1)
        if name == "noam":
            for g in opt.param_groups:
                g["lr"] = 1.0
        schedule = make_schedule(opt)
        lrs = [schedule.get_last_lr()]
        for _ in range(29):
            opt.step()
            schedule.step()
            lrs.append(schedule.get_last_lr())
        out[f"sched.{name}.lr"] = torch.tensor(lrs, dtype=torch.float64)

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "optim.safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save(path, out, {"generator": "tests/golden/make_optim_fixtures.py", "torch": torch.__version__,
                     "steps": str(STEPS)})
    print(f"wrote {len(out)} tensors to {path}")


if __name__ == "__main__":
    main()
