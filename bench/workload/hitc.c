/* hitc calls hit(s, n) N times and prints the ns per call it measured
 * itself, so that a tracer's start-up and tear-down are not counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) long hit(const char *s, long n)
{
	__asm__ volatile("" ::: "memory");
	return (long)strlen(s) + n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	const char *s = "the quick brown fox jumps over the lazy dog 0123456";
	const char *d = getenv("HIT_DELAY_MS");
	if (d)
		usleep(atoi(d) * 1000);
	struct timespec a, b;
	long sum = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		sum += hit(s, i);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("hitc calls=%ld ns_per_call=%.1f sum=%ld\n", n, ns / n, sum);
	return 0;
}
