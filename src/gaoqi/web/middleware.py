"""Chinese unless the user picks English: the browser's Accept-Language header does not choose the language."""


class IgnoreAcceptLanguageMiddleware:
    """Placed before LocaleMiddleware: the language comes from the set_language cookie or LANGUAGE_CODE only.

    A provincial platform answers in Simplified Chinese by default, whatever the browser's settings;
    English is one click away in the top bar.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
