// What the machine charges for the kernel work every SIP flow is made of, in
// CPU µs (CLOCK_THREAD_CPUTIME_ID), so that CPU per flow can be read against
// it: at a fixed offered rate both servers sleep between messages, and every
// message wakes a thread. Printed as key=value lines (bench/run.sh --machine,
// and the meta table of every --write-results run).
//
//   wake_same_cpu     eventfd write + epoll wake, both threads on CPU 0
//   wake_cross_cpu    the same, waker on CPU 0, sleeper on CPU 1: the IPI to
//                     an idle CPU (waker) and its wake-up (sleeper)
//   timer_wake        a 1 ms epoll_wait timeout that expires (arm + expiry)
//   fdatasync         one 4 KiB pwrite + fdatasync in DIR (argument 1)
//
// Not a test: no assertion, the numbers only describe the machine.

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>

namespace {

double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

struct WakeCost {
  double waker_us = 0;
  double sleeper_us = 0;
};

// `n` wakes, one per `gap`: the sleeper is back in epoll_wait (and its CPU
// idle) before each write. The waker paces by spinning, so that no timer of
// its own is counted.
WakeCost MeasureWake(int waker_cpu, int sleeper_cpu, int n, std::chrono::microseconds gap) {
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
  std::atomic<bool> stop{false};
  std::atomic<int> woken{0};
  double sleeper_cpu_us = 0;
  std::thread sleeper([&] {
    Pin(sleeper_cpu);
    double start = ThreadCpuUs();
    while (!stop.load()) {
      epoll_event e[4];
      if (epoll_wait(ep, e, 4, 100) > 0) {
        uint64_t v;
        if (read(efd, &v, sizeof(v)) == sizeof(v)) woken.fetch_add(1);
      }
    }
    sleeper_cpu_us = ThreadCpuUs() - start;
  });
  Pin(waker_cpu);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double write_us = 0;
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    next += gap;
    while (std::chrono::steady_clock::now() < next) {
    }
    double a = ThreadCpuUs();
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = write(efd, &one, sizeof(one));
    write_us += ThreadCpuUs() - a;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop.store(true);
  sleeper.join();
  close(ep);
  close(efd);
  WakeCost c;
  int w = woken.load() > 0 ? woken.load() : 1;
  c.waker_us = write_us / n;
  // The sleeper's last epoll_wait timeouts are noise against n wakes.
  c.sleeper_us = sleeper_cpu_us / w;
  return c;
}

double MeasureTimerWake(int n) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  double start = ThreadCpuUs();
  for (int i = 0; i < n; ++i) {
    epoll_event e;
    epoll_wait(ep, &e, 1, 1);
  }
  double us = (ThreadCpuUs() - start) / n;
  close(ep);
  return us;
}

double MeasureFdatasync(const std::string& dir, int n) {
  std::string path = dir + "/machine_probe.tmp";
  int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  char page[4096] = {};
  // Preallocate, like a WAL that is reused after a checkpoint.
  for (int i = 0; i < 16; ++i) [[maybe_unused]] ssize_t w = pwrite(fd, page, sizeof(page), i * 4096);
  fsync(fd);
  double start = ThreadCpuUs();
  for (int i = 0; i < n; ++i) {
    page[0] = static_cast<char>(i);
    [[maybe_unused]] ssize_t w = pwrite(fd, page, sizeof(page), (i % 16) * 4096);
    fdatasync(fd);
  }
  double us = (ThreadCpuUs() - start) / n;
  close(fd);
  unlink(path.c_str());
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  // machine_probe [DIR [N [--line]]]: key=value lines, or one line for a table.
  std::string dir = argc > 1 ? argv[1] : "/tmp";
  int n = argc > 2 ? std::atoi(argv[2]) : 2000;
  bool line = argc > 3 && std::string(argv[3]) == "--line";
  if (n <= 0) n = 1;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  auto gap = std::chrono::microseconds(500);
  WakeCost same = MeasureWake(0, 0, n, gap);
  WakeCost cross = cpus > 1 ? MeasureWake(0, 1, n, gap) : WakeCost{-1, 0};
  double timer = MeasureTimerWake(n / 2 > 0 ? n / 2 : 1);
  double sync = MeasureFdatasync(dir, n / 4 > 0 ? n / 4 : 1);
  if (line) {
    std::printf("wake-up on the same CPU %.1f µs (waker %.1f, sleeper %.1f)", same.waker_us + same.sleeper_us,
                same.waker_us, same.sleeper_us);
    if (cross.waker_us >= 0) {
      std::printf(", on another CPU %.1f µs (waker %.1f, sleeper %.1f)", cross.waker_us + cross.sleeper_us,
                  cross.waker_us, cross.sleeper_us);
    }
    std::printf("; timer wake-up %.1f µs; fdatasync %.1f µs\n", timer, sync);
    return 0;
  }
  std::printf("wake_same_cpu_us=%.1f\nwake_same_cpu_waker_us=%.1f\nwake_same_cpu_sleeper_us=%.1f\n",
              same.waker_us + same.sleeper_us, same.waker_us, same.sleeper_us);
  if (cross.waker_us >= 0) {
    std::printf("wake_cross_cpu_us=%.1f\nwake_cross_cpu_waker_us=%.1f\nwake_cross_cpu_sleeper_us=%.1f\n",
                cross.waker_us + cross.sleeper_us, cross.waker_us, cross.sleeper_us);
  }
  std::printf("timer_wake_us=%.1f\n", timer);
  if (sync >= 0) std::printf("fdatasync_us=%.1f\n", sync);
  return 0;
}
