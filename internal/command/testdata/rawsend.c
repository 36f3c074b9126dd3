/* rawsend IFACE LEN...: sends one Ethernet frame of each LEN bytes on IFACE
 * through a packet socket (no IP: the frames go to a locally administered
 * address with the IEEE local experimental ethertype), and prints
 * "SENT IFACE LEN" for each frame the kernel took whole. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	static const unsigned char dst[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const unsigned char src[6] = {0x02, 0, 0, 0, 0, 0x02};
	unsigned char buf[1514];
	struct sockaddr_ll a;
	int s, i;

	if (argc < 3) {
		fprintf(stderr, "usage: rawsend IFACE LEN...\n");
		return 2;
	}
	s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (s < 0) {
		perror("socket");
		return 1;
	}
	memset(&a, 0, sizeof a);
	a.sll_family = AF_PACKET;
	a.sll_ifindex = if_nametoindex(argv[1]);
	a.sll_halen = 6;
	memcpy(a.sll_addr, dst, 6);
	if (a.sll_ifindex == 0) {
		perror(argv[1]);
		return 1;
	}
	for (i = 2; i < argc; i++) {
		int n = atoi(argv[i]);
		if (n < 14 || n > (int)sizeof buf) {
			fprintf(stderr, "length %d out of range\n", n);
			return 2;
		}
		memset(buf, i, sizeof buf);
		memcpy(buf, dst, 6);
		memcpy(buf + 6, src, 6);
		buf[12] = 0x88;
		buf[13] = 0xb5;
		if (sendto(s, buf, n, 0, (struct sockaddr *)&a, sizeof a) != n) {
			perror("sendto");
			return 1;
		}
		printf("SENT %s %d\n", argv[1], n);
	}
	return 0;
}
