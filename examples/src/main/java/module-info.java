/** The netmem examples: an application module using the three netmem library modules. */
module com.example.netmem {
    requires dev.netmem.api;        // PagePool, NetIov, Napi: the page pool core
    requires dev.netmem.providers;  // host pages, dma-bufs, the io_uring zcrx user ring
    requires dev.netmem.rxqueue;    // emulated NIC, netdev netlink (bind-rx), devmem sockets
}
