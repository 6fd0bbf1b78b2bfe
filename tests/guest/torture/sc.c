#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(int argc,char**argv){ long n=argc>1?atol(argv[1]):1000000; double t0=now();
 for(long i=0;i<n;i++) syscall(SYS_getppid);
 double t1=now();
 printf("getppid_ns %.0f n=%ld\n",(t1-t0)*1e9/n,n); return 0;}
