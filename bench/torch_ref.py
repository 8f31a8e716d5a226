#!/usr/bin/python3
"""bench/torch_ref.py -- the PyTorch side of bench_nn (issue #3's speed section).

    /usr/bin/python3 bench/torch_ref.py CONFIG THREADS MODE
        CONFIG   a | d               the shapes below (the same as bench_nn.c)
        THREADS  1 | 2               torch.set_num_threads; the caller sets
                                     OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
                                     OMP_WAIT_POLICY=PASSIVE to match
        MODE     speed | rss         speed: training and generation figures;
                                     rss: a short training and generation run,
                                     then the peak resident set (VmHWM)

Prints "key value" lines on stdout for bench_nn to read.

The set-up mirrors bench_nn.c exactly: nn.LSTM (time-major, batch_first=False)
of `layers` x `hidden`, a Linear head, BCEWithLogitsLoss, Adam (lr 1e-3);
random multi-hot inputs and targets (each feature on with probability 1/8),
four batches drawn up front and cycled.  A training step is zero_grad,
forward, loss, backward, step.  Timing: two warm-up steps, then three rounds
of at least two steps and about 1 s each; the fastest round counts (the
machine may be shared).  Generation: batch 1, one step at a time with the
(h, c) state carried, under torch.no_grad(), plus the head: 50 warm-up steps,
then three rounds of 0.5 s, fastest round.
"""
import sys
import time

CONFIGS = {
    "a": dict(n_in=13, hidden=256, layers=2, T=64, B=32, n_out=13),
    "d": dict(n_in=128, hidden=512, layers=2, T=128, B=64, n_out=128),
}
DENSITY = 1.0 / 8


def vmhwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def best_seconds_per_step(step, round_secs, min_steps, rounds=3, warm=2):
    for _ in range(warm):
        step()
    best = float("inf")
    for _ in range(rounds):
        n = 0
        t0 = time.perf_counter()
        while True:
            step()
            n += 1
            el = time.perf_counter() - t0
            if n >= min_steps and el >= round_secs:
                break
        best = min(best, el / n)
    return best


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CONFIGS or sys.argv[3] not in ("speed", "rss"):
        sys.stderr.write(__doc__)
        return 2
    c = CONFIGS[sys.argv[1]]
    threads = int(sys.argv[2])
    mode = sys.argv[3]

    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    T, B, n_in, n_out, H = c["T"], c["B"], c["n_in"], c["n_out"], c["hidden"]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(n_in, H, c["layers"])
            self.head = torch.nn.Linear(H, n_out)

        def forward(self, x, state=None):
            h, state = self.lstm(x, state)
            return self.head(h), state

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = torch.nn.BCEWithLogitsLoss()
    batches = [((torch.rand(T, B, n_in) < DENSITY).float(), (torch.rand(T, B, n_out) < DENSITY).float())
               for _ in range(4)]
    seq = (torch.rand(1024, 1, 1, n_in) < DENSITY).float()
    k = [0]

    def train_step():
        x, y = batches[k[0] % 4]
        k[0] += 1
        opt.zero_grad()
        out, _ = net(x)
        loss = lossf(out, y)
        loss.backward()
        opt.step()

    state = [None]

    def gen_step():
        with torch.no_grad():
            out, state[0] = net(seq[k[0] % 1024], state[0])
        k[0] += 1

    print("torch_version", torch.__version__)
    print("threads", torch.get_num_threads())
    if mode == "rss":
        net.train()
        for _ in range(3):
            train_step()
        net.eval()
        for _ in range(200):
            gen_step()
        print("vmhwm_kib", vmhwm_kib())
        return 0
    net.train()
    s = best_seconds_per_step(train_step, 1.0, 2)
    print("train_ts_per_s", T * B / s)
    net.eval()
    state[0] = None
    s = best_seconds_per_step(gen_step, 0.5, 50, warm=50)
    print("gen_us", s * 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
