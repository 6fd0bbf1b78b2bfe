/* Our nftables table ("inet zone"), driven through Debian's nft(8): rules
 * are added from scripts and found again by their comments, which say who
 * owns them ("net:NAME" for a network, "ctr:ID:PID:START" for a
 * container's monitor), so leftovers of a killed monitor can be swept. */
#ifndef ZONE_RUNTIME_NFT_H
#define ZONE_RUNTIME_NFT_H

#include <stdbool.h>

#define NFT_TABLE "inet zone"

/* While on, the table is listed once and the listing reused until a
 * script changes it: for a run of calls under the network lock. */
void nft_cache(bool on);
/* Run nft -f - with script.  0 or -1 (zerr with nft's first error line). */
int nft_apply(const char *script);
/* Create the table and its chains and hooks if missing (idempotent). */
int nft_ensure_table(void);
/* Delete every rule of the table whose comment satisfies match (called
 * with the comment).  Returns how many, or -1 (zerr).  A missing table
 * has no rules. */
int nft_delete_rules(bool (*match)(const char *comment, void *arg), void *arg);
/* Whether any rule's comment equals comment (false on error). */
bool nft_has_rule(const char *comment);
/* Remove the table when no rule is left in it (the last network went). */
int nft_drop_table_if_empty(void);

#endif
