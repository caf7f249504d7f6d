/* bench_proxy.c — a TCP proxy on 127.0.0.1 that adds a fixed delay to each
 * direction (so 10 ms each way = 20 ms of round-trip time) and counts, per
 * connection, the round trips the client waited for: a round trip is data
 * from the client followed by data from the server. The PostgreSQL
 * application_name is read from the startup packet, so the wizard's
 * connections are told from kong's. Stands in for netem where the kernel
 * has no sch_netem (see docs/BENCHMARKS.md).
 *
 *   bench-proxy LISTEN_PORT TARGET_PORT DELAY_MS_EACH_WAY REPORT_FILE
 *
 * Appends one line per closed connection to REPORT_FILE:
 *   app=<name> round_trips=<n> up=<bytes> down=<bytes>
 * Ends on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 64

struct chunk {
	struct chunk *next;
	long long due;
	size_t len;
	char data[];
};

struct dir {
	int from, to;
	struct chunk *head, *tail;
	int eof; /* from closed; close to once drained */
};

struct conn {
	int used;
	struct dir d[2]; /* 0: client->server, 1: server->client */
	int last;	 /* -1, 0, 1 */
	long rts;
	long long bytes[2];
	char start[2048];
	size_t start_len;
};

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void app_name(const struct conn *c, char *out, size_t n)
{
	static const char key[] = "application_name";
	size_t i;

	snprintf(out, n, "?");
	for (i = 0; i + sizeof(key) < c->start_len; i++)
		if (memcmp(c->start + i, key, sizeof(key)) == 0) {
			size_t j = i + sizeof(key), k = 0;

			while (j < c->start_len && c->start[j] != '\0' && k + 1 < n)
				out[k++] = c->start[j++] == ' ' ? '_' : c->start[j - 1];
			out[k] = '\0';
			if (k == 0)
				snprintf(out, n, "(empty)");
			return;
		}
}

static void conn_close(struct conn *c, const char *report)
{
	char app[128];
	FILE *f;
	int k;

	app_name(c, app, sizeof(app));
	f = fopen(report, "a");
	if (f != NULL) {
		fprintf(f, "app=%s round_trips=%ld up=%lld down=%lld\n", app, c->rts, c->bytes[0],
			c->bytes[1]);
		fclose(f);
	}
	for (k = 0; k < 2; k++) {
		struct chunk *ch = c->d[k].head;

		while (ch != NULL) {
			struct chunk *nx = ch->next;
			free(ch);
			ch = nx;
		}
	}
	close(c->d[0].from);
	close(c->d[1].from);
	memset(c, 0, sizeof(*c));
}

int main(int argc, char **argv)
{
	static struct conn cs[MAXC];
	struct sockaddr_in a = {0};
	int lfd, one = 1, target, delay;
	const char *report;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-proxy LISTEN_PORT TARGET_PORT DELAY_MS REPORT\n");
		return 2;
	}
	target = atoi(argv[2]);
	delay = atoi(argv[3]);
	report = argv[4];
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 64) < 0) {
		perror("bench-proxy: bind");
		return 1;
	}
	while (!stop) {
		struct pollfd p[1 + 2 * MAXC];
		int idx[1 + 2 * MAXC];
		int np = 0, i, k, timeout = -1;
		long long t = now_ms();

		p[np].fd = lfd, p[np].events = POLLIN, idx[np++] = -1;
		for (i = 0; i < MAXC; i++) {
			if (!cs[i].used)
				continue;
			for (k = 0; k < 2; k++) {
				struct dir *d = &cs[i].d[k];

				if (!d->eof) {
					p[np].fd = d->from, p[np].events = POLLIN;
					idx[np++] = i * 2 + k;
				}
				if (d->head != NULL) {
					long long w = d->head->due - t;
					if (w < 0)
						w = 0;
					if (timeout < 0 || w < timeout)
						timeout = (int)w;
				}
			}
		}
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			break;
		t = now_ms();
		if (p[0].revents & POLLIN) {
			int cfd = accept(lfd, NULL, NULL), sfd;
			struct sockaddr_in s = a;

			s.sin_port = htons((unsigned short)target);
			sfd = socket(AF_INET, SOCK_STREAM, 0);
			for (i = 0; i < MAXC && cs[i].used; i++)
				;
			if (cfd < 0 || i == MAXC || connect(sfd, (struct sockaddr *)&s, sizeof(s)) < 0) {
				if (cfd >= 0)
					close(cfd);
				close(sfd);
			} else {
				setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				memset(&cs[i], 0, sizeof(cs[i]));
				cs[i].used = 1;
				cs[i].last = -1;
				cs[i].d[0].from = cfd, cs[i].d[0].to = sfd;
				cs[i].d[1].from = sfd, cs[i].d[1].to = cfd;
			}
		}
		for (i = 1; i < np; i++) {
			struct conn *c;
			struct dir *d;
			char buf[65536];
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			c = &cs[idx[i] / 2];
			k = idx[i] % 2;
			d = &c->d[k];
			n = read(d->from, buf, sizeof(buf));
			if (n <= 0) {
				d->eof = 1;
				continue;
			}
			if (k == 0 && c->start_len < sizeof(c->start)) {
				size_t m = (size_t)n < sizeof(c->start) - c->start_len
						   ? (size_t)n : sizeof(c->start) - c->start_len;
				memcpy(c->start + c->start_len, buf, m);
				c->start_len += m;
			}
			if (k == 1 && c->last == 0)
				c->rts++;
			c->last = k;
			c->bytes[k] += n;
			{
				struct chunk *ch = malloc(sizeof(*ch) + (size_t)n);

				if (ch == NULL)
					return 1;
				ch->next = NULL;
				ch->due = t + delay;
				ch->len = (size_t)n;
				memcpy(ch->data, buf, (size_t)n);
				if (d->tail != NULL)
					d->tail->next = ch;
				else
					d->head = ch;
				d->tail = ch;
			}
		}
		t = now_ms();
		for (i = 0; i < MAXC; i++) {
			if (!cs[i].used)
				continue;
			for (k = 0; k < 2; k++) {
				struct dir *d = &cs[i].d[k];

				while (d->head != NULL && d->head->due <= t) {
					struct chunk *ch = d->head;
					size_t off = 0;

					while (off < ch->len) {
						ssize_t w = write(d->to, ch->data + off, ch->len - off);
						if (w <= 0) {
							if (errno == EINTR)
								continue;
							break;
						}
						off += (size_t)w;
					}
					d->head = ch->next;
					if (d->head == NULL)
						d->tail = NULL;
					free(ch);
				}
				if (d->eof && d->head == NULL)
					shutdown(d->to, SHUT_WR);
			}
			if (cs[i].d[0].eof && cs[i].d[1].eof && cs[i].d[0].head == NULL &&
			    cs[i].d[1].head == NULL)
				conn_close(&cs[i], report);
		}
	}
	for (int i = 0; i < MAXC; i++)
		if (cs[i].used)
			conn_close(&cs[i], report);
	return 0;
}
