/* sim_serve.h — `kong-sim serve`: a stand-in Kong node's Admin API. */
#ifndef SIM_SERVE_H
#define SIM_SERVE_H

/* Runs the server for `kong-sim serve ARGS...` (argv[0] is "serve");
 * returns the exit status. */
int sim_serve_main(int argc, char **argv);

#endif
