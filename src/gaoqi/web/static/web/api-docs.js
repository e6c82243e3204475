// Swagger UI for /api/docs, from our own static files. "Try it out" uses the logged-in session; the CSRF
// token goes in the header the API checks for unsafe methods.
(function () {
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  config.requestInterceptor = function (req) {
    if (csrf) req.headers["X-CSRFToken"] = csrf;
    return req;
  };
  SwaggerUIBundle(config);
})();
