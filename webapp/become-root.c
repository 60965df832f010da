/*
 * become-root: run a command as uid 0. The image installs this file setuid root (mode 4755), so any
 * user who can run it becomes root -- unless the process has "no new privileges" set, which is
 * what Kubernetes' `allowPrivilegeEscalation: false` does: the kernel then ignores the setuid bit,
 * and the setresuid() below fails.
 *
 *   become-root id        ->  uid=0(root) ...      (escalation allowed)
 *   become-root           ->  a root shell
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
    /* Groups are best effort: without CAP_SETGID (capabilities dropped) only the uid can change. */
    (void)setgroups(0, NULL);
    (void)setresgid(0, 0, 0);
    /* The setuid bit made the effective and saved uid 0; make the real uid 0 too. */
    if (setresuid(0, 0, 0) != 0) {
        fprintf(stderr, "become-root: cannot become root: %s\n", strerror(errno));
        return 1;
    }
    if (argc < 2) {
        char *shell[] = {"/bin/sh", NULL};
        execv(shell[0], shell);
        fprintf(stderr, "become-root: /bin/sh: %s\n", strerror(errno));
        return 127;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "become-root: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
