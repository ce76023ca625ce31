/*
 * loadgen.c - a closed-loop TCP echo load generator for the picoos benchmarks.
 *
 * Why C: the echo benchmark compares Python servers, so the client must not be
 * the bottleneck and must not share the server's framework. One thread with
 * epoll drives every connection; each connection sends a fixed-size request,
 * waits for the whole echo, records the round-trip time and sends again.
 *
 * Modes (first argument):
 *
 *   echo HOST PORT CONNS WARMUP_S MEASURE_S MSGSIZE
 *       connect CONNS sockets, wait until every one has completed an exchange
 *       (so all CONNS are being served, not queued in the listen backlog;
 *       given up after 60 s), run WARMUP_S seconds, print "MEASURE", run
 *       MEASURE_S seconds counting requests and latencies, print one
 *       "RESULT key=value ..." line, then wait for a line (or EOF) on stdin
 *       before closing, so the caller can read the server's CPU time while the
 *       server is idle.
 *
 *   hold HOST PORT CONNS ROUNDS MSGSIZE
 *       open CONNS sockets and keep them all open; every connection does
 *       ROUNDS request/response exchanges (all connections in flight at
 *       once); print "RESULT ..." then "READY", wait for a line on stdin, then
 *       close everything. Used by the C10K benchmark to measure the server's
 *       memory with every connection open.
 *
 * Errors (refused/reset connections, short or wrong echoes) are counted and
 * reported, never hidden. Build: gcc -O2 -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXMSG 65536
/* latency histogram: 1 us buckets up to 1 s, then one overflow bucket */
#define HBUCKETS 1000001

struct conn {
    int fd;
    int connected;
    size_t sent;      /* bytes of the current request written */
    size_t got;       /* bytes of the current echo read */
    uint64_t t_sent;  /* when the current request started (ns) */
    long rounds;      /* completed exchanges (hold mode) */
    int done;
};

static struct conn *conns;
static int nconns;
static size_t msgsize;
static char reqbuf[MAXMSG];
static char rbuf[MAXMSG];
static uint32_t *hist;
static int measuring;
static uint64_t nreq, nerr;
static int epfd;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)need ? rl.rlim_max : (rlim_t)need;
        setrlimit(RLIMIT_NOFILE, &rl);
        fprintf(stderr, "loadgen: raised soft RLIMIT_NOFILE to %ld\n", (long)rl.rlim_cur);
    }
}

static struct sockaddr_storage addr;
static socklen_t addrlen;

static void resolve(const char *host, const char *port)
{
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
        fprintf(stderr, "loadgen: cannot resolve %s:%s\n", host, port);
        exit(2);
    }
    memcpy(&addr, res->ai_addr, res->ai_addrlen);
    addrlen = res->ai_addrlen;
    freeaddrinfo(res);
}

static void conn_fail(struct conn *c)
{
    nerr++;
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->done = 1;
}

static void start_request(struct conn *c)
{
    c->sent = 0;
    c->got = 0;
    c->t_sent = now_ns();
    ssize_t n = send(c->fd, reqbuf, msgsize, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno == EAGAIN) n = 0;
        else { conn_fail(c); return; }
    }
    c->sent = (size_t)n;
    if (c->sent < msgsize) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

static void open_all(void)
{
    int i;
    for (i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c->fd < 0) die("socket");
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&addr, addrlen) < 0 && errno != EINPROGRESS) {
            conn_fail(c);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
    }
}

/* handle one readiness event; returns 1 when the connection finished an exchange */
static int on_event(struct conn *c, uint32_t events, uint64_t t)
{
    if (c->fd < 0) return 0;
    if (!c->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) { conn_fail(c); return 0; }
        c->connected = 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        start_request(c);
        return 0;
    }
    if ((events & EPOLLOUT) && c->sent < msgsize) {
        ssize_t n = send(c->fd, reqbuf + c->sent, msgsize - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) { conn_fail(c); return 0; }
        if (n > 0) c->sent += (size_t)n;
        if (c->sent == msgsize) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        }
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        ssize_t n = recv(c->fd, rbuf, msgsize - c->got, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) { conn_fail(c); return 0; }
        if (n < 0) return 0;
        if (memcmp(rbuf, reqbuf + c->got, (size_t)n) != 0) { conn_fail(c); return 0; }
        c->got += (size_t)n;
        if (c->got == msgsize) {
            if (measuring) {
                uint64_t us = (t - c->t_sent) / 1000;
                hist[us < HBUCKETS - 1 ? us : HBUCKETS - 1]++;
                nreq++;
            }
            c->rounds++;
            return 1;
        }
    }
    return 0;
}

static double percentile(double p)
{
    uint64_t total = 0, acc = 0, want;
    long i;
    for (i = 0; i < HBUCKETS; i++) total += hist[i];
    if (!total) return 0.0;
    want = (uint64_t)(p * (double)total);
    if (want >= total) want = total - 1;
    for (i = 0; i < HBUCKETS; i++) {
        acc += hist[i];
        if (acc > want) return (double)i + 0.5;
    }
    return (double)HBUCKETS;
}

static void wait_stdin(void)
{
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return;
}

static int run_echo(double warmup, double measure)
{
    struct epoll_event evs[1024];
    uint64_t t0 = now_ns(), t_measure = 0, t_end = 0, t_start = 0;
    int phase = 0; /* 0 ramp-up, 1 warm-up, 2 measure */
    int unserved = nconns, i;
    open_all();
    for (i = 0; i < nconns; i++) if (conns[i].fd < 0) unserved--;
    for (;;) {
        int n = epoll_wait(epfd, evs, 1024, 100);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        uint64_t t = now_ns();
        if (phase == 0 && (unserved <= 0 || t - t0 > 60000000000ull)) {
            if (unserved > 0)
                fprintf(stderr, "loadgen: %d connections not served after 60 s\n", unserved);
            phase = 1;
            t_measure = t + (uint64_t)(warmup * 1e9);
            t_end = t_measure + (uint64_t)(measure * 1e9);
        }
        if (phase == 1 && t >= t_measure) {
            phase = 2;
            measuring = 1;
            t_start = t;
            printf("MEASURE ramp_s=%.3f\n", (double)(t - t0) / 1e9 - warmup);
            fflush(stdout);
        }
        if (phase == 2 && t >= t_end) break;
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            int was_open = c->fd >= 0;
            if (on_event(c, evs[i].events, t) && c->fd >= 0) {
                if (c->rounds == 1) unserved--;
                start_request(c);
            } else if (was_open && c->fd < 0 && c->rounds == 0) {
                unserved--;
            }
        }
    }
    double secs = (double)(now_ns() - t_start) / 1e9;
    int alive = 0;
    for (i = 0; i < nconns; i++) alive += conns[i].fd >= 0;
    printf("RESULT conns=%d alive=%d requests=%llu seconds=%.3f rps=%.0f p50_us=%.1f p99_us=%.1f errors=%llu\n",
           nconns, alive, (unsigned long long)nreq, secs, nreq / secs, percentile(0.50),
           percentile(0.99), (unsigned long long)nerr);
    fflush(stdout);
    wait_stdin();
    return nerr ? 1 : 0;
}

static int run_hold(long rounds)
{
    struct epoll_event evs[1024];
    int pending = nconns, i;
    uint64_t t0 = now_ns();
    measuring = 1;
    open_all();
    for (i = 0; i < nconns; i++) if (conns[i].fd < 0) pending--;
    while (pending > 0) {
        int n = epoll_wait(epfd, evs, 1024, 30000);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        if (n == 0) {
            fprintf(stderr, "loadgen: no progress for 30 s with %d connections unfinished\n", pending);
            break;
        }
        uint64_t t = now_ns();
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            int was_open = c->fd >= 0;
            if (on_event(c, evs[i].events, t) && c->fd >= 0) {
                if (c->rounds < rounds) start_request(c);
                else if (!c->done) { c->done = 1; pending--; }
            } else if (was_open && c->fd < 0) {
                pending--;
            }
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    int alive = 0;
    for (i = 0; i < nconns; i++) alive += conns[i].fd >= 0;
    printf("RESULT conns=%d alive=%d requests=%llu seconds=%.3f rps=%.0f p50_us=%.1f p99_us=%.1f errors=%llu\n",
           nconns, alive, (unsigned long long)nreq, secs, nreq / secs, percentile(0.50),
           percentile(0.99), (unsigned long long)(nerr + (uint64_t)pending));
    printf("READY\n");
    fflush(stdout);
    wait_stdin();
    return (nerr || pending) ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen echo HOST PORT CONNS WARMUP_S MEASURE_S MSGSIZE\n"
            "       loadgen hold HOST PORT CONNS ROUNDS MSGSIZE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc < 2) usage();
    int echo = strcmp(argv[1], "echo") == 0;
    if (!(echo ? argc == 8 : (strcmp(argv[1], "hold") == 0 && argc == 7))) usage();
    resolve(argv[2], argv[3]);
    nconns = atoi(argv[4]);
    msgsize = (size_t)atol(argv[echo ? 7 : 6]);
    if (nconns < 1 || msgsize < 1 || msgsize > MAXMSG) usage();
    raise_nofile(nconns + 64);
    for (i = 0; i < msgsize; i++) reqbuf[i] = (char)('a' + i % 26);
    conns = calloc((size_t)nconns, sizeof *conns);
    hist = calloc(HBUCKETS, sizeof *hist);
    if (!conns || !hist) die("calloc");
    epfd = epoll_create1(0);
    if (epfd < 0) die("epoll_create1");
    if (echo) return run_echo(atof(argv[5]), atof(argv[6]));
    return run_hold(atol(argv[5]));
}
