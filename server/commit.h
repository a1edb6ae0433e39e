/*
 * commit.h - the group committer of the server (commit.c): write operations from many request
 * threads run in shared batches on one writer thread, each answered after its commit is durable.
 */
#ifndef BPMNRT_SERVER_COMMIT_H
#define BPMNRT_SERVER_COMMIT_H

#include <stddef.h>

#include "bpmnrt.h"

typedef struct sv_committer sv_committer;
typedef struct sv_op sv_op;

/* A write operation: one or more public API calls on e (the writer's handle, inside the open
 * batch); returns their status, an answer (allocated by the engine, or NULL) in *json_out. It
 * may run more than once (when another operation of its group is refused): it must not have
 * effects outside the engine. */
typedef int (*sv_write_fn)(bpmn_engine *e, void *ud, char **json_out);

sv_committer *sv_committer_start(const bpmn_engine_options *eo, const char *path);
/* Runs the queued operations, then stops the writer. NULL is a no-op. */
void sv_committer_stop(sv_committer *c);
/* Queues fn and waits until the commit that holds it is durable (or it was refused): its status;
 * on failure the engine's message in err. */
int sv_committer_run(sv_committer *c, sv_write_fn fn, void *ud, char **json_out, char *err,
                     size_t errcap);
/* Commits made and operations run so far. */
void sv_committer_stats(sv_committer *c, unsigned long *groups, unsigned long *ops);

#endif
