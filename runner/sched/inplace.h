/* inplace: running a case in the namespace netrepro was started in
 * (`run --in-place`), and finding out whether namespaces can be made. */
#ifndef NETREPRO_INPLACE_H
#define NETREPRO_INPLACE_H

#include <stddef.h>

#include "case.h"

/* Why sc cannot run in place (1, with the reason in why), or 0: it needs
 * more than one host, builds or changes the network, sets a sysctl to a
 * value this namespace does not already have, or binds a fixed port that
 * a socket here already holds. */
int inplace_obstacle(const struct scenario *sc, char *why, size_t len);

/* A net.* sysctl of the current namespace, as netns_sysctl_get gives it;
 * 0 or a negative errno. */
int sysctl_here(const char *name, char *buf, size_t len);

/* 1 when a worker could make its namespaces here (a user namespace when
 * not root, then a network namespace), tried in a child; else 0 with
 * the failure ("unshare(CLONE_NEWNET): Operation not permitted") in why. */
int inplace_netns_probe(char *why, size_t len);

#endif
