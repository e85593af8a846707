from django.shortcuts import render


def login(request):
    """`/clientes/ingresar/`: client login, entry to the client registration flow (000)."""
    return render(request, "registration/login.html")
