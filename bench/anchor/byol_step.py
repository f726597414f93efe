# The byol-pytorch anchor step (lucidrains' byol-pytorch v0.6.0 as the seed post ran it), re-implemented
# from ../shared/reference-figures.md: torchvision resnet18 (weights=None) tapped at avgpool, 28x28
# greyscale tiled to 3 channels, its default augmentations (one parameter draw per batch), both views
# concatenated through online and target, projector/predictor Linear-BN-ReLU-Linear (4096 -> 256),
# symmetric 2 - 2cos loss, Adam 3e-4, EMA 0.99. Prints one JSON line of median phase times.
# --net small-cnn: byol-ts' small CNN with the same layers instead (conv3x3(w)-BN-ReLU, then --stages
# stages of conv3x3/2 doubling the width, each followed by --depth - 1 conv3x3 of that width, all
# conv-BN-ReLU; then the tap: global average or, on the 7x7 map of two stages, a GxG grid pool),
# 28x28x1, projector/predictor 1024 -> 128, Adam; the same augmentations on one channel.
# Run: /usr/bin/python3 bench/anchor/byol_step.py [--net resnet18|small-cnn] [--batch 128] [--steps 10] [--threads 2]
import argparse, copy, json, time
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision.transforms as T
from torchvision.models import resnet18

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=128)
p.add_argument("--steps", type=int, default=10)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--net", choices=["resnet18", "small-cnn"], default="resnet18")
p.add_argument("--width", type=int, default=32)
p.add_argument("--stages", type=int, default=2, help="small-cnn: downsampled stages")
p.add_argument("--depth", type=int, default=1, help="small-cnn: convolutions per stage")
p.add_argument("--grid", type=int, default=0, help="small-cnn tap: 0 = global average pool, G = GxG grid (two stages only)")
p.add_argument("--hidden", type=int, default=4096)
p.add_argument("--proj", type=int, default=256)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

def mlp(dim, hidden=a.hidden, out=a.proj):
    return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out))

def small_cnn(w, grid, stages, depth):
    layers, c = [], 1
    convs = [(1, 1)] + [(2 ** (s + 1), 2 if j == 0 else 1) for s in range(stages) for j in range(depth)]
    for m, stride in convs:
        layers += [nn.Conv2d(c, w * m, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(w * m), nn.ReLU(inplace=True)]
        c = w * m
    assert grid == 0 or stages == 2, "--grid pools the 7x7 map of two stages"
    # 7x7 -> GxG with byol-ts' windows (side 7 - (G-1)*floor(7/G), stride floor(7/G))
    pool = nn.AdaptiveAvgPool2d(1) if grid == 0 else nn.AvgPool2d(7 - (grid - 1) * (7 // grid), 7 // grid)
    return nn.Sequential(*layers, pool, nn.Flatten()), c * max(grid, 1) ** 2

channels = 3 if a.net == "resnet18" else 1
if a.net == "resnet18":
    encoder = resnet18(weights=None)
    encoder.fc = nn.Identity()  # the avgpool output, flattened: what hidden_layer='avgpool' returns
    features = 512
else:
    encoder, features = small_cnn(a.width, a.grid, a.stages, a.depth)
online = nn.Sequential(encoder, mlp(features))
predictor = mlp(a.proj)
target = copy.deepcopy(online).requires_grad_(False)
opt = torch.optim.Adam(list(online.parameters()) + list(predictor.parameters()), lr=3e-4)
augment = nn.Sequential(
    T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.3), T.RandomGrayscale(p=0.2), T.RandomHorizontalFlip(),
    T.RandomApply([T.GaussianBlur((3, 3), (1.0, 2.0))], p=0.2), T.RandomResizedCrop((28, 28)),
    T.Normalize(mean=torch.tensor([0.485, 0.456, 0.406][:channels]), std=torch.tensor([0.229, 0.224, 0.225][:channels])))
# noise images stand in for Fashion-MNIST (speed does not depend on content)
images = torch.randint(0, 256, (4 * a.batch, 1, 28, 28), dtype=torch.uint8).float().div(255).repeat(1, channels, 1, 1)

def loss_fn(x, y):
    return 2 - 2 * (F.normalize(x, dim=-1) * F.normalize(y, dim=-1)).sum(dim=-1)

phases = {k: [] for k in ("augment", "gradients", "optimizer", "ema", "total")}
for step in range(a.steps + 2):  # two untimed warm-up steps
    x = images[(step % 4) * a.batch:(step % 4 + 1) * a.batch]
    t0 = time.perf_counter()
    v1, v2 = augment(x), augment(x)
    t1 = time.perf_counter()
    q1, q2 = predictor(online(torch.cat((v1, v2)))).chunk(2)
    with torch.no_grad():
        z1, z2 = target(torch.cat((v1, v2))).detach().chunk(2)
    loss = (loss_fn(q1, z2) + loss_fn(q2, z1)).mean()
    opt.zero_grad()
    loss.backward()
    t2 = time.perf_counter()
    opt.step()
    t3 = time.perf_counter()
    with torch.no_grad():
        for pt, po in zip(target.parameters(), online.parameters()):
            pt.mul_(0.99).add_(po, alpha=0.01)
    t4 = time.perf_counter()
    if step >= 2:
        for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
            phases[k].append(1000 * v)

# the BLAS behind torch.matmul: Debian's torch takes whichever libblas.so.3 is installed, and the
# reference BLAS runs the 4096-wide heads ~25x slower than OpenBLAS (a slow anchor, not a fast byol-ts)
m = torch.randn(1024, 1024)
t = time.perf_counter()
for _ in range(5):
    m @ m
matmul_gflops = 5 * 2 * 1024 ** 3 / (time.perf_counter() - t) / 1e9

# the weight gradient of layer4's 3x3 convolution on its 1x1 map (both views: 2*batch images), which
# oneDNN runs on its GEMM path here: a rank-1 update of the 9.4 MB weight gradient per image, bound
# by memory bandwidth rather than arithmetic (the anchor's slowest kernel on a machine short of it)
xw = torch.randn(2 * a.batch, 512, 1, 1)
conv = nn.Conv2d(512, 512, 3, padding=1, bias=False)
yw = conv(xw)
gw = torch.randn_like(yw)
wgrad_s = []
for _ in range(3):
    t = time.perf_counter()
    torch.autograd.grad(yw, conv.weight, gw, retain_graph=True)
    wgrad_s.append(time.perf_counter() - t)
wgrad_gflops = 2 * 2 * a.batch * 512 * 512 * 9 / min(wgrad_s) / 1e9

med = {k: sorted(v)[len(v) // 2] for k, v in phases.items()}
print(json.dumps({"torch": torch.__version__, "net": a.net, "threads": a.threads, "batch": a.batch, "steps": a.steps,
                  "ms": med, "imagesPerSecond": a.batch * 1000 / med["total"], "matmulGflops": matmul_gflops,
                  "layer4WgradGflops": wgrad_gflops}))
