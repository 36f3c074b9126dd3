/*
 * allocstacks: allocations through one allocator from two call paths, for
 * stapgen's folded-stack output. It prints how many calls each path made,
 * so a trace can be checked against it:
 *
 *   ALLOC copy_name=7 make_table=3
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) char *copy_name(const char *s)
{
	char *p = xmalloc(strlen(s) + 1);
	strcpy(p, s);
	return p;
}

__attribute__((noinline)) int *make_table(int n)
{
	return xmalloc(n * sizeof(int));
}

int main(int argc, char **argv)
{
	int names = argc > 1 ? atoi(argv[1]) : 5;
	int tables = argc > 2 ? atoi(argv[2]) : 2;
	for (int i = 0; i < names; i++)
		free(copy_name("entry"));
	for (int i = 0; i < tables; i++)
		free(make_table(64));
	printf("ALLOC copy_name=%d make_table=%d\n", names, tables);
	return 0;
}
