// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the requests the bind, revoke and load operations build from a command's
 * options (user/op_*.c): what is refused as a usage error, in which words, before any kernel
 * or file is touched.
 */
#include <errno.h>
#include <string.h>

#include "bind.h"
#include "kakunin.h"
#include "op.h"
#include "unit.h"

static struct kk_error e;

UNIT_TEST(revoke_request_combinations)
{
	struct kk_revoke_op_req r;
	struct kk_revoke_opts o = { 0 };

	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "give exactly one of --serial and --crl");
	o = (struct kk_revoke_opts){ .serial = "0a", .crl = "c.pem" };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "give exactly one of --serial and --crl");
	o = (struct kk_revoke_opts){ .serial = "0a", .kill = true, .no_stop = true };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--kill and --no-stop exclude each other");
	o = (struct kk_revoke_opts){ .crl = "c.pem", .reason = "x" };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK(strstr(e.why, "--issuer and --reason go with --serial") == e.why);
	o = (struct kk_revoke_opts){ .serial = "0a", .ca = "ca.pem" };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--ca goes with --crl");
	CHECK_EQ_STR(e.what, "");
}

UNIT_TEST(revoke_request_serial)
{
	char reason[80];
	struct kk_revoke_op_req r;
	struct kk_revoke_opts o = { .serial = "0x01:FF", .reason = "stolen", .issuer = "ca.pem" };

	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), 0);
	CHECK_EQ_STR(r.rev.serial, "01ff");
	CHECK_EQ_INT(r.rev.key.serial_len, 2);
	CHECK(r.rev.key.serial[0] == 1 && r.rev.key.serial[1] == 0xff);
	CHECK_EQ_STR(r.rev.reason, "stolen");
	CHECK_EQ_STR(r.issuer, "ca.pem");
	CHECK_EQ_INT(r.rev.source, KK_REV_CLI);
	CHECK_EQ_INT(r.rev.tasks, KK_REVOKE_STOP);
	CHECK(r.crl == NULL);
	o = (struct kk_revoke_opts){ .serial = "zz" };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.what, "--serial 'zz'");
	CHECK_EQ_STR(e.why, "not a hex serial number (up to 20 bytes)");
	/* The reason must fit the 64-byte field of the list entry, NUL included. */
	memset(reason, 'r', 63);
	reason[63] = '\0';
	o = (struct kk_revoke_opts){ .serial = "0a", .reason = reason };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), 0);
	reason[63] = 'r';
	reason[64] = '\0';
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.what, "--reason");
	CHECK_EQ_STR(e.why, "at most 63 bytes");
}

UNIT_TEST(revoke_request_crl_and_tasks)
{
	struct kk_revoke_op_req r;
	struct kk_revoke_opts o = { .crl = "c.pem", .ca = "ca.pem", .kill = true };

	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), 0);
	CHECK_EQ_STR(r.crl, "c.pem");
	CHECK_EQ_STR(r.ca, "ca.pem");
	CHECK_EQ_INT(r.rev.source, KK_REV_CRL);
	CHECK_EQ_INT(r.rev.tasks, KK_REVOKE_KILL);
	CHECK_EQ_STR(kk_revoke_tasks_name(r.rev.tasks), "kill");
	o = (struct kk_revoke_opts){ .crl = "c.pem", .no_stop = true };
	CHECK_EQ_INT(kk_revoke_op_req_init(&r, &o, &e), 0);
	CHECK_EQ_INT(r.rev.tasks, KK_REVOKE_KEEP);
	CHECK_EQ_STR(kk_revoke_tasks_name(r.rev.tasks), "keep");
	CHECK_EQ_STR(kk_revoke_tasks_name(KK_REVOKE_STOP), "stop");
}

UNIT_TEST(load_request_ring_size)
{
	static const char *const bad[] = { "", "4095", "5000", "0x1000", "+4096", " 4096",
					   "2147483648", "99999999999999999999999" };
	struct kk_load_req r;
	size_t i;

	CHECK_EQ_INT(kk_load_req_init(&r, NULL, &e), 0);
	CHECK_EQ_INT((int)r.ringbuf_size, 0);
	CHECK_EQ_INT(kk_load_req_init(&r, "4096", &e), 0);
	CHECK_EQ_INT((int)r.ringbuf_size, 4096);
	CHECK_EQ_INT(kk_load_req_init(&r, "1073741824", &e), 0);
	CHECK_EQ_INT((int)r.ringbuf_size, 1 << 30);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(kk_load_req_init(&r, bad[i], &e), -EINVAL);
		CHECK_EQ_STR(e.why, "a power of two from 4096 to 1073741824 bytes");
	}
	CHECK_EQ_STR(e.what, "--ringbuf-size '99999999999999999999999'");
}

UNIT_TEST(bind_request_target)
{
	struct kk_bind_req r;
	struct kk_bind_opts o = { .cert = "c.pem", .policy = "p.json" };

	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--pid or --cgroup is required");
	o.pid = "7";
	o.cgroup = "/sys/fs/cgroup/a";
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--pid and --cgroup exclude each other");
	o.pid = NULL;
	o.tree = true;
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--tree goes with --pid");
	o = (struct kk_bind_opts){ .pid = "12x", .cert = "c.pem", .policy = "p.json" };
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.what, "--pid '12x'");
	CHECK_EQ_STR(e.why, "not a process id (1 to 2147483647)");
}

UNIT_TEST(bind_request_values)
{
	struct kk_bind_req r;
	struct kk_bind_opts o = { .pid = "42", .tree = true, .policy = "p.json" };

	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--cert is required");
	o.cert = "c.pem";
	o.policy = NULL;
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--policy is required");
	o.policy = "p.json";
	o.ca = "ca.pem";
	o.region = "eu";
	o.offline = true;
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), 0);
	CHECK_EQ_INT(r.pid, 42);
	CHECK(r.tree && r.offline && !r.cgroup);
	CHECK_EQ_STR(r.cert, "c.pem");
	CHECK_EQ_STR(r.policy, "p.json");
	CHECK_EQ_STR(r.ca, "ca.pem");
	CHECK_EQ_STR(r.region, "eu");
	kk_bind_release(&r);
	o = (struct kk_bind_opts){ .cgroup = "/sys/fs/cgroup/a", .cert = "c", .policy = "p" };
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), 0);
	CHECK_EQ_STR(r.cgroup, "/sys/fs/cgroup/a");
	CHECK_EQ_INT(r.pid, 0);
}

/* run binds its own child: no target options, the same certificate and policy checks. */
UNIT_TEST(bind_request_run)
{
	struct kk_bind_req r;
	struct kk_bind_opts o = { .run = true, .cert = "c.pem" };

	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--policy is required");
	o.policy = "p.json";
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), 0);
	CHECK_EQ_INT(r.pid, 0);
	CHECK(!r.cgroup);
}

int main(void)
{
	UNIT_RUN(revoke_request_combinations);
	UNIT_RUN(revoke_request_serial);
	UNIT_RUN(revoke_request_crl_and_tasks);
	UNIT_RUN(load_request_ring_size);
	UNIT_RUN(bind_request_target);
	UNIT_RUN(bind_request_values);
	UNIT_RUN(bind_request_run);
	return unit_done();
}
