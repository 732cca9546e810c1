// The one way a Beacon page connects to its Socket.IO namespace: WebSocket first, so that a
// page talks to one web process over one connection (no load-balancer stickiness needed);
// long-polling only when a WebSocket cannot be opened (the nginx config routes that stickily).
(function () {
  "use strict";
  window.beaconConnect = function (options) {
    return window.io("/notifications", Object.assign({
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    }, options || {}));
  };
})();
