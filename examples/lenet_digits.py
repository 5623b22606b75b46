"""LeNet-5 on scikit-learn's handwritten digits, trained with dyngrad alone.

This is the course's "concise implementation" of LeNet written as PyTorch code; the only
change is the import: ``import dyngrad as torch``. Run it with ``make demo`` or, once the
``examples`` extra is installed (``pip install -e '.[examples]'``)::

    python examples/lenet_digits.py             # 10 epochs of LeNet, 10 of the MLP
    python examples/lenet_digits.py --epochs 3  # a quick look
    python examples/lenet_digits.py --seed 1    # another split, initialisation and order

It trains LeNet and, for comparison, a one-hidden-layer MLP; prints their test accuracy;
writes the loss/accuracy curves to ``examples/out/lenet_digits_curves.png``; saves the
trained LeNet with ``torch.save(model.state_dict(), ...)`` and reloads it into a new model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write PNG files; no window needed
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_limits  # installed with scikit-learn
from tqdm import tqdm

import dyngrad as torch
from dyngrad import nn
from dyngrad.nn import functional as F
from dyngrad.utils.data import DataLoader, TensorDataset, random_split

OUT = Path(__file__).resolve().parent / "out"  # gitignored


def digits_datasets(seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """The 1797 8x8 digit images, scaled to [0, 1] and upsampled to 28x28, split 80/20.

    The course's LeNet takes 28x28 images (Fashion-MNIST). Rather than change its kernel
    sizes, we upsample the 8x8 digits once, bilinearly, to that size: the network stays
    exactly the course's.
    """
    digits = load_digits()  # ships with scikit-learn: no download
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8)
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    labels = torch.tensor(digits.target, dtype=torch.int64)
    full = TensorDataset(images, labels)
    # A fixed generator makes the held-out split the same on every run.
    train, test = random_split(full, [0.8, 0.2], generator=torch.Generator().manual_seed(seed))
    return train, test


def lenet(activation: type[nn.Module] = nn.ReLU, pool: type[nn.Module] = nn.MaxPool2d
          ) -> nn.Sequential:  # fmt: skip
    """LeNet-5 as in the course. The course's original has ``nn.Sigmoid`` and ``nn.AvgPool2d``
    (try ``lenet(nn.Sigmoid, nn.AvgPool2d)``: it learns too, but more slowly and less surely
    on 1438 images); its exercise swaps in ReLU and max pooling, the default here."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), activation(),  # 6 x 28 x 28
        pool(kernel_size=2, stride=2),                            # 6 x 14 x 14
        nn.Conv2d(6, 16, kernel_size=5), activation(),            # 16 x 10 x 10
        pool(kernel_size=2, stride=2),                            # 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), activation(),
        nn.Linear(120, 84), activation(),
        nn.Linear(84, 10),
    )  # fmt: skip


def mlp() -> nn.Sequential:
    """The comparison: one hidden layer of 256 ReLU units on the flattened image."""
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))


def init_weights(module: nn.Module) -> None:
    """Xavier initialisation, as the course does for LeNet."""
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)


def accuracy(net: nn.Module, loader: DataLoader) -> float:
    """Fraction of correctly classified examples."""
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((net(x).argmax(dim=1) == y).sum())
            total += len(y)
    return correct / total


def train(net: nn.Module, name: str, train_iter: DataLoader, test_iter: DataLoader,
          epochs: int, lr: float) -> dict[str, list[float]]:  # fmt: skip
    """Train with Adam and cross-entropy; return the per-epoch loss and accuracies."""
    # The course trains LeNet with SGD on 60,000 images; with only 1438 here, Adam needs
    # far fewer passes over them.
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    # The learning rate decays to 0 along a half cosine: big steps first, fine ones at the end.
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "test_acc": []}
    bar = tqdm(range(epochs), desc=f"{name:>5}", unit="epoch")
    for _ in bar:
        net.train()
        total_loss = 0.0
        correct = seen = 0
        for x, y in train_iter:
            optimizer.zero_grad()
            logits = net(x)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            seen += len(y)
        scheduler.step()
        history["loss"].append(total_loss / seen)
        history["train_acc"].append(correct / seen)
        history["test_acc"].append(accuracy(net, test_iter))
        bar.set_postfix(
            loss=f"{history['loss'][-1]:.3f}", test_acc=f"{history['test_acc'][-1]:.3f}"
        )
    return history


def plot(histories: dict[str, dict[str, list[float]]], path: Path) -> None:
    """Training loss (left) and train/test accuracy (right) per epoch, for each model."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for i, (name, h) in enumerate(histories.items()):
        epochs, color = range(1, len(h["loss"]) + 1), f"C{i}"
        ax_loss.plot(epochs, h["loss"], color=color, label=name)
        ax_acc.plot(epochs, h["train_acc"], "--", color=color, label=f"{name} train")
        ax_acc.plot(epochs, h["test_acc"], color=color, label=f"{name} test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="training loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0.5, 1.0), title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="LeNet epochs (default 10)")
    parser.add_argument("--mlp-epochs", type=int, default=10, help="MLP epochs (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    start = time.perf_counter()
    # These matrices are small: one BLAS thread is fastest (several only wait on each other).
    threadpool_limits(limits=1)

    torch.manual_seed(args.seed)  # the same weights, shuffles and result on every run
    train_set, test_set = digits_datasets(args.seed)
    shuffle = torch.Generator().manual_seed(args.seed)
    train_iter = DataLoader(train_set, batch_size=32, shuffle=True, generator=shuffle)
    test_iter = DataLoader(test_set, batch_size=256)
    print(f"digits: {len(train_set)} training and {len(test_set)} test images, upsampled to 28x28")

    cnn = lenet()
    cnn.apply(init_weights)
    histories = {"LeNet": train(cnn, "LeNet", train_iter, test_iter, args.epochs, lr=0.003)}
    histories["MLP"] = train(mlp(), "MLP", train_iter, test_iter, args.mlp_epochs, lr=0.001)
    cnn_acc = histories["LeNet"]["test_acc"][-1]
    print(f"test accuracy: LeNet {cnn_acc:.2%}, MLP {histories['MLP']['test_acc'][-1]:.2%}")

    plot(histories, OUT / "lenet_digits_curves.png")
    print(f"curves written to {OUT / 'lenet_digits_curves.png'}")

    # Save the weights only (a state_dict), then load them into a freshly built LeNet.
    path = OUT / "lenet_digits.pt"
    torch.save(cnn.state_dict(), path)
    reloaded = lenet()
    reloaded.load_state_dict(torch.load(path))
    reloaded_acc = accuracy(reloaded, test_iter)
    print(f"saved to {path}; the reloaded model's test accuracy: {reloaded_acc:.2%}")
    print(f"total time {time.perf_counter() - start:.1f} s ({time.process_time():.1f} s of CPU)")

    # The reloaded model must compute exactly what the trained one does.
    x, _ = next(iter(test_iter))
    with torch.no_grad():
        same = torch.equal(cnn(x), reloaded(x))
    if reloaded_acc != cnn_acc or not same:
        raise SystemExit("the reloaded model does not give the trained model's outputs")
    if cnn_acc < 0.97:
        raise SystemExit(f"LeNet reached only {cnn_acc:.2%} test accuracy (the target is 97%)")


if __name__ == "__main__":
    main()
