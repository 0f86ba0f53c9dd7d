/* The commands that read run records rather than run cases. Each returns
 * the process exit status. */
#ifndef NETREPRO_COMMANDS_H
#define NETREPRO_COMMANDS_H

int cmd_report(int argc, char **argv);  /* report --format F [-o FILE] RUN.json... */
int cmd_diff(int argc, char **argv);    /* diff A.json B.json */
int cmd_matrix(int argc, char **argv);  /* matrix [--kernel K]... PATH... */

#endif
