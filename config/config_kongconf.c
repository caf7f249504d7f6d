/* placeholder: being written */
typedef int kuw_placeholder_t;
