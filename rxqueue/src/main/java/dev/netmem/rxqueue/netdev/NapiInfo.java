package dev.netmem.rxqueue.netdev;

/**
 * The netdev family's {@code napi} object ({@code napi-get}), as far as the model has it: the id and
 * the device (the kernel's {@code irq}, {@code pid} and tuning attributes are not modelled).
 *
 * @param id      the NAPI id ({@code napi_id}, at least {@link dev.netmem.api.Napi#MIN_NAPI_ID})
 * @param ifindex the device
 */
public record NapiInfo(int id, int ifindex) {
}
