/**
 * The devmem TCP memory provider (net/core/devmem.c): {@link dev.netmem.providers.dmabuf.Dmabuf}, a
 * dma-buf exporter backed by a mode-0600 shared-memory file that another process can map, and
 * {@link dev.netmem.providers.dmabuf.DmabufBinding}, which binds one to a DMA device and hands it out
 * as net_iovs (pages, or larger buffers when bind-rx sets {@code rx-buf-size}) to the page pools of
 * the bound RX queues.
 *
 * <p>Audience: the RX-queue layer (binding, queue close) and applications (creating the dma-buf,
 * mapping it in a consumer process).
 */
package dev.netmem.providers.dmabuf;
