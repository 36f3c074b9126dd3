/* LD_PRELOAD interposer for stapbpf: stap 4.8/5.1 raise RLIMIT_MEMLOCK to
 * infinity and give up without CAP_SYS_RESOURCE, although kernels since 5.11
 * account BPF memory to the cgroup and need no such limit. Pretend the one
 * call it makes succeeded. */
#include <sys/resource.h>

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim)
{
	(void)resource;
	(void)rlim;
	return 0;
}
