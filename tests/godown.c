/* godown.c - cuts the power of one ext4 file system, for the power-cut
 * test: EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH (the journal is
 * not flushed, as in xfstests' "godown"), so that what was not committed
 * to the journal is lost when it is mounted again.
 * Usage: godown PATH (any file or directory on the file system). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* From fs/ext4/ext4.h (not in the UAPI headers); the same number as
 * XFS_IOC_GOINGDOWN. */
#ifndef EXT4_IOC_SHUTDOWN
#define EXT4_IOC_SHUTDOWN _IOR('X', 125, uint32_t)
#endif
#define EXT4_GOING_FLAGS_NOLOGFLUSH 0x2

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: godown PATH\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "godown: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	uint32_t flags = EXT4_GOING_FLAGS_NOLOGFLUSH;
	if (ioctl(fd, EXT4_IOC_SHUTDOWN, &flags) < 0) {
		fprintf(stderr, "godown: %s: EXT4_IOC_SHUTDOWN: %s\n", argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
