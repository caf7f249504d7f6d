/* netns.c — network namespaces joined by veth pairs, for tests whose clients
 * must come from distinct addresses. See netns.h. */
#include "tests/support/netns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/core_exec.h"

#define NETNS_DIR        "/run/netns"
#define NETNS_LOCK       "/run/kuw-netns.lock"
#define NETNS_BASE       0x0ad50000u /* 10.213.0.0 */
#define NETNS_BLOCKS     4096u       /* the /28s of 10.213.0.0/16 */
#define NETNS_BLOCK_MASK 0xfffffff0u
#define NETNS_IP_MS      10000
#define NETNS_LOCK_MS    10000
#define NETNS_PREFIXES   512

/* The namespaces to remove from a signal handler or at exit: their paths,
 * written before the namespace exists, so that the handler only unmounts
 * and unlinks (async-signal-safe system calls, what `ip netns del` does). */
#define NETNS_REG 16
static char netns_reg[NETNS_REG][64];
static volatile sig_atomic_t netns_reg_used[NETNS_REG];
static bool netns_hooked;
/* Hosts are lettered across the whole process, so names never repeat. */
static unsigned int netns_letters;

static void netns_reg_sweep(void)
{
	int i;

	for (i = 0; i < NETNS_REG; i++) {
		if (!netns_reg_used[i])
			continue;
		umount2(netns_reg[i], MNT_DETACH);
		unlink(netns_reg[i]);
		netns_reg_used[i] = 0;
	}
}

static void netns_on_signal(int sig)
{
	netns_reg_sweep();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void netns_hook(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old, sa;
	size_t i;

	if (netns_hooked)
		return;
	netns_hooked = true;
	atexit(netns_reg_sweep);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = netns_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* Only where nobody else handles the signal. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
}

static int netns_reg_add(const char *name)
{
	int i;

	for (i = 0; i < NETNS_REG; i++) {
		if (netns_reg_used[i])
			continue;
		snprintf(netns_reg[i], sizeof(netns_reg[i]), NETNS_DIR "/%s", name);
		netns_reg_used[i] = 1;
		return 0;
	}
	return -1;
}

static void netns_reg_remove(const char *name)
{
	char path[64];
	int i;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	for (i = 0; i < NETNS_REG; i++) {
		if (netns_reg_used[i] && strcmp(netns_reg[i], path) == 0)
			netns_reg_used[i] = 0;
	}
}

static long netns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Runs `ip ARGS...` (NULL-terminated); 0, or -1 with err naming the command
 * and what it said. */
static int netns_ip(const char *ip, struct core_error *err, ...)
{
	struct core_exec_result res;
	const char *argv[16];
	char cmd[512];
	size_t ac = 0, len;
	va_list ap;
	int rc = -1;

	argv[ac++] = ip;
	snprintf(cmd, sizeof(cmd), "ip");
	va_start(ap, err);
	while (ac < sizeof(argv) / sizeof(argv[0]) - 1) {
		const char *a = va_arg(ap, const char *);

		if (a == NULL)
			break;
		argv[ac++] = a;
		len = strlen(cmd);
		snprintf(cmd + len, sizeof(cmd) - len, " %s", a);
	}
	va_end(ap);
	argv[ac] = NULL;
	if (core_exec_capture(argv, NULL, NETNS_IP_MS, 0, &res, err) < 0)
		return -1;
	if (res.status == 0) {
		rc = 0;
	} else {
		len = strlen(res.err);
		while (len > 0 && (res.err[len - 1] == '\n' || res.err[len - 1] == ' '))
			res.err[--len] = '\0';
		core_error_set(err, "%s: exit %d: %s", cmd, res.status, res.err);
	}
	core_exec_result_done(&res);
	return rc;
}

/* The pid in a name of ours ("kuw<pid><letter>"), or -1. */
static long netns_name_pid(const char *name)
{
	char *end = NULL;
	long pid;

	if (strncmp(name, "kuw", 3) != 0 || !isdigit((unsigned char)name[3]))
		return -1;
	pid = strtol(name + 3, &end, 10);
	if (pid <= 0 || end[0] < 'a' || end[0] > 'z' || end[1] != '\0')
		return -1;
	return pid;
}

/* Whether pid has exited: no such process, or a zombie nobody reaped yet. */
static bool netns_pid_gone(long pid)
{
	char path[64], buf[512];
	const char *paren;
	ssize_t len;
	int fd;

	if (kill((pid_t)pid, 0) < 0)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	/* "pid (comm) S ...": comm may hold anything, so the last ')' ends it. */
	paren = strrchr(buf, ')');
	return paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

static bool netns_exists(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	return access(path, F_OK) == 0;
}

/* Removes the veth pair (by its root end) and the namespace called name;
 * complaints go to stderr, so that a leak is seen. */
static void netns_remove(const char *ip, const char *name)
{
	struct core_error err = {{0}};

	if (if_nametoindex(name) != 0 && netns_ip(ip, &err, "link", "del", name, NULL) < 0)
		fprintf(stderr, "netns: %s\n", err.msg);
	if (netns_exists(name) && netns_ip(ip, &err, "netns", "del", name, NULL) < 0)
		fprintf(stderr, "netns: %s\n", err.msg);
}

int netns_unavailable(char *ip, size_t ip_size, char *why, size_t why_size)
{
	static const char *const fallback[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
	const char *path = getenv("PATH");
	char cand[4096];
	size_t i;

	ip[0] = '\0';
	if (geteuid() != 0) {
		snprintf(why, why_size,
			 "not running as root (network namespaces and veth pairs "
			 "need CAP_SYS_ADMIN and CAP_NET_ADMIN)");
		return -1;
	}
	while (path != NULL && *path != '\0') {
		size_t len = strcspn(path, ":");

		snprintf(cand, sizeof(cand), "%.*s/ip", (int)len, path);
		if (len > 0 && access(cand, X_OK) == 0) {
			snprintf(ip, ip_size, "%s", cand);
			return 0;
		}
		path += len + (path[len] == ':');
	}
	for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/ip", fallback[i]);
		if (access(cand, X_OK) == 0) {
			snprintf(ip, ip_size, "%s", cand);
			return 0;
		}
	}
	snprintf(why, why_size, "no `ip` program (iproute2) in PATH or /usr/sbin, /sbin");
	return -1;
}

void netns_sweep(const char *ip)
{
	struct if_nameindex *links = NULL, *l;
	struct dirent *de;
	DIR *d;

	/* Root ends first: a namespace still holding a process lives on after
	 * `ip netns del`, and its veth with it. */
	links = if_nameindex();
	for (l = links; l != NULL && l->if_index != 0; l++) {
		long pid = netns_name_pid(l->if_name);

		if (pid > 0 && netns_pid_gone(pid)) {
			fprintf(stderr, "netns: removing veth %s left by process %ld (gone)\n",
				l->if_name, pid);
			netns_remove(ip, l->if_name);
		}
	}
	if (links != NULL)
		if_freenameindex(links);
	d = opendir(NETNS_DIR);
	while (d != NULL && (de = readdir(d)) != NULL) {
		long pid = netns_name_pid(de->d_name);

		if (pid > 0 && netns_pid_gone(pid)) {
			fprintf(stderr,
				"netns: removing network namespace %s left by process %ld (gone)\n",
				de->d_name, pid);
			netns_remove(ip, de->d_name);
		}
	}
	if (d != NULL)
		closedir(d);
}

/* An IPv4 prefix in host byte order. */
struct netns_prefix {
	uint32_t net, mask;
};

/* This machine's IPv4 addresses (with their masks) and main-table routes,
 * the default route left out. */
static size_t netns_prefixes(struct netns_prefix *p, size_t max)
{
	struct ifaddrs *ifa = NULL, *i;
	char line[512], iface[64];
	unsigned int dest, mask;
	size_t n = 0;
	FILE *f;

	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
			if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
			    i->ifa_netmask == NULL)
				continue;
			p[n].net =
			    ntohl(((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr);
			p[n].mask =
			    ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
			n++;
		}
		freeifaddrs(ifa);
	}
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ..., the
	 * addresses as the hex of the network-order word. */
	f = fopen("/proc/net/route", "re");
	while (f != NULL && n < max && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %x %*x %*x %*d %*d %*d %x", iface, &dest, &mask) != 3 ||
		    mask == 0)
			continue;
		p[n].net = ntohl(dest);
		p[n].mask = ntohl(mask);
		n++;
	}
	if (f != NULL)
		fclose(f);
	return n;
}

/* A /28 of 10.213.0.0/16 that overlaps nothing of this machine's, starting
 * the search at one derived from our pid; 0 when all are taken. */
static uint32_t netns_pick_block(void)
{
	static struct netns_prefix p[NETNS_PREFIXES];
	size_t n = netns_prefixes(p, NETNS_PREFIXES), i;
	uint32_t k, start = (uint32_t)getpid() % NETNS_BLOCKS;

	for (k = 0; k < NETNS_BLOCKS; k++) {
		uint32_t block = NETNS_BASE + ((start + k) % NETNS_BLOCKS) * 16u;
		bool clash = false;

		for (i = 0; i < n && !clash; i++) {
			uint32_t m = p[i].mask & NETNS_BLOCK_MASK;

			clash = (p[i].net & m) == (block & m);
		}
		if (!clash)
			return block;
	}
	return 0;
}

static void netns_addr(uint32_t a, char *buf, size_t size)
{
	struct in_addr in = {.s_addr = htonl(a)};

	if (inet_ntop(AF_INET, &in, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

/* Takes the lock that serialises choosing addresses across processes. */
static int netns_lock(struct core_error *err)
{
	long deadline = netns_now_ms() + NETNS_LOCK_MS;
	int fd = open(NETNS_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return core_error_errno(err, errno, "opening %s", NETNS_LOCK);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || netns_now_ms() > deadline) {
			core_error_errno(err, errno, "locking %s", NETNS_LOCK);
			close(fd);
			return -1;
		}
		poll(NULL, 0, 20);
	}
	return fd;
}

static int netns_make_host(const char *ip, const struct netns_host *h, struct core_error *err)
{
	char outer[32], inner[32];

	snprintf(outer, sizeof(outer), "%s/30", h->outer);
	snprintf(inner, sizeof(inner), "%s/30", h->inner);
	/* The peer is made inside the namespace, so its name cannot clash. */
	if (netns_ip(ip, err, "netns", "add", h->name, NULL) < 0 ||
	    netns_ip(ip, err, "link", "add", h->name, "type", "veth", "peer", "name", "eth0",
		     "netns", h->name, NULL) < 0 ||
	    netns_ip(ip, err, "addr", "add", outer, "dev", h->name, NULL) < 0 ||
	    netns_ip(ip, err, "link", "set", h->name, "up", NULL) < 0 ||
	    netns_ip(ip, err, "-n", h->name, "addr", "add", inner, "dev", "eth0", NULL) < 0 ||
	    netns_ip(ip, err, "-n", h->name, "link", "set", "eth0", "up", NULL) < 0 ||
	    netns_ip(ip, err, "-n", h->name, "link", "set", "lo", "up", NULL) < 0)
		return -1;
	return 0;
}

int netns_create(struct netns_set *s, const char *ip, size_t n, struct core_error *err)
{
	uint32_t block;
	int lock = -1, rc = -1;
	size_t i;

	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	if (n == 0 || n > NETNS_MAX)
		return core_error_set(err, "netns: %zu hosts asked, 1 to %d possible", n,
				      NETNS_MAX);
	if (netns_letters + n > 26)
		return core_error_set(err, "netns: more than 26 hosts in one process");
	netns_hook();
	lock = netns_lock(err);
	if (lock < 0)
		return -1;
	block = netns_pick_block();
	if (block == 0) {
		core_error_set(err, "netns: every /28 of 10.213.0.0/16 overlaps an address or "
				    "route of this machine");
		goto out;
	}
	netns_addr(block, s->net, sizeof(s->net));
	snprintf(s->net + strlen(s->net), sizeof(s->net) - strlen(s->net), "/28");
	for (i = 0; i < n; i++) {
		struct netns_host *h = &s->hosts[i];

		snprintf(h->name, sizeof(h->name), "kuw%ld%c", (long)getpid(),
			 (char)('a' + netns_letters++));
		netns_addr(block + 4u * (uint32_t)i + 1u, h->outer, sizeof(h->outer));
		netns_addr(block + 4u * (uint32_t)i + 2u, h->inner, sizeof(h->inner));
		/* Left by an earlier process that had our pid. */
		netns_remove(ip, h->name);
		if (netns_reg_add(h->name) < 0) {
			core_error_set(err, "netns: more than %d namespaces at once", NETNS_REG);
			goto out;
		}
		s->n = i + 1;
		if (netns_make_host(ip, h, err) < 0)
			goto out;
	}
	rc = 0;
out:
	close(lock);
	if (rc < 0)
		netns_destroy(s);
	return rc;
}

void netns_destroy(struct netns_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		netns_remove(s->ip, s->hosts[i].name);
		netns_reg_remove(s->hosts[i].name);
	}
	s->n = 0;
}
