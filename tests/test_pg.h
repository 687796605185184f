/*
 * tests/test_pg.h: what the C tests that run on both backends share to get
 * a database of their own on the PostgreSQL test cluster (MASTHEAD_TEST_PG_URL,
 * started by scripts/run-tests). Header-only: each test program includes it.
 */
#ifndef MH_TEST_PG_H
#define MH_TEST_PG_H

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True when this run is the PostgreSQL one (meson sets MH_TEST_BACKEND). */
static inline bool mh_test_pg_wanted(void)
{
	const char *b = getenv("MH_TEST_BACKEND");
	return b != NULL && strcmp(b, "postgres") == 0;
}

/* Runs one statement on the database at admin_url; a failure fails the test. */
static inline void mh_test_pg_admin(const char *admin_url, const char *sql)
{
	PGconn *c = PQconnectdb(admin_url);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s: %s", admin_url, PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* A fresh database PREFIX_PID_N on the cluster: admin_url is the cluster's
 * URL, url the same with its path swapped for the new database's name
 * (db_name). A missing MASTHEAD_TEST_PG_URL fails the test. */
static inline void mh_test_pg_create(const char *prefix, char url[512], char admin_url[512], char db_name[64])
{
	static int serial;
	const char *base = getenv("MASTHEAD_TEST_PG_URL");
	cr_assert(base != NULL && base[0] != '\0', "MASTHEAD_TEST_PG_URL is not set: no PostgreSQL run");
	snprintf(admin_url, 512, "%s", base);
	snprintf(db_name, 64, "%s_%d_%d", prefix, (int)getpid(), serial++);
	const char *slash = strchr(strstr(base, "://") + 3, '/');
	int host_len = slash != NULL ? (int)(slash - base) : (int)strlen(base);
	snprintf(url, 512, "%.*s/%s", host_len, base, db_name);
	char sql[128];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db_name);
	mh_test_pg_admin(admin_url, sql);
}

static inline void mh_test_pg_drop(const char *admin_url, const char *db_name)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
	mh_test_pg_admin(admin_url, sql);
}

#endif
