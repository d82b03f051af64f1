// epoll(7) for relay-bench's sink and storm children: Glibc's Swift module does not import
// <sys/epoll.h>, and poll(2) over 10,000 descriptors costs the sink a core during a storm.
#include <sys/epoll.h>
