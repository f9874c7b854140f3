"""The chapter-5 convnet in PyTorch on this machine: the peer figure of BENCHMARKS.md.

    pip install torch numpy
    python3 benches/torch_convnet.py            # 5 epochs, batch 64, 2 threads
    python3 benches/torch_convnet.py --epochs 1

The same network and training as `cargo run --release --example convnet` (rmsprop at
Keras's defaults: lr 1e-3, rho 0.9, eps 1e-7; categorical cross-entropy on softmax
outputs; the bundled MNIST, shuffled each epoch), on channels-first tensors as PyTorch
runs them. Prints the fit's time (data loading excluded), test accuracy, and the time of
one-sample inference (median of 2,000 calls under torch.no_grad()). Run by hand; CI
does not need Python.
"""

import argparse
import gzip
import os
import time

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)

here = os.path.dirname(os.path.abspath(__file__))
mnist = os.path.join(here, "..", "data", "mnist")


def images(name):
    with gzip.open(os.path.join(mnist, name)) as f:
        data = np.frombuffer(f.read(), np.uint8, offset=16)
    return torch.from_numpy(data.reshape(-1, 1, 28, 28).astype(np.float32) / 255)


def labels(name):
    with gzip.open(os.path.join(mnist, name)) as f:
        return torch.from_numpy(np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64))


x, y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
tx, ty = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
torch.manual_seed(42)
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(64, 64, 3), nn.ReLU(),
    nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10),
)
opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
loss_fn = nn.CrossEntropyLoss()  # softmax + categorical cross-entropy, fused

start = time.perf_counter()
for epoch in range(args.epochs):
    order = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        idx = order[i : i + 64]
        loss = loss_fn(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
fit = time.perf_counter() - start

with torch.no_grad():
    acc = (model(tx).argmax(1) == ty).float().mean().item()
    one = tx[:1]
    times = []
    for _ in range(2000):
        t = time.perf_counter()
        model(one)
        times.append(time.perf_counter() - t)
print(f"torch {torch.__version__}, {args.threads} threads")
print(f"fit: {fit:.2f} s for {args.epochs} epochs of batch 64")
print(f"test_acc: {acc:.4f}")
print(f"one sample: median {np.median(times) * 1e6:.1f} us")
