/**
 * Internal to the providers module; not exported: the genpool-like index allocator, cyclic id
 * allocation and shared-memory files.
 */
package dev.netmem.providers.internal;
