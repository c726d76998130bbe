"""Reference data of the synthetic company: Mexican states and cities, industries and their products.

States use ISO 3166-2:MX codes without the ``MX-`` prefix (docs/data_model.md). Each city carries
its IANA time zone (Mexico has six in use, which is what the contact-window rules care about), its
mobile area code, its postal-code prefix and whether it lies in the northern or southern border
region where the reduced 8 % IVA applies. Weights are rough shares of B2B customers, heavy on the
big four economies (CDMX, Estado de México, Jalisco, Nuevo León) but every state appears.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    name: str
    zip_prefix: str
    tz: str
    area_code: str
    border_zone: bool = False


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str
    weight: float
    cities: tuple[City, ...]


# Reference tables read best one state or product per line: keep the formatter out of them.
# fmt: off
_MX = "America/Mexico_City"
_MTY = "America/Monterrey"

STATES: tuple[State, ...] = (
    State("AGU", "Aguascalientes", 2.0, (City("Aguascalientes", "20", _MX, "449"),)),
    State("BCN", "Baja California", 4.0, (
        City("Tijuana", "22", "America/Tijuana", "664", True),
        City("Mexicali", "21", "America/Tijuana", "686", True),
        City("Ensenada", "22", "America/Tijuana", "646", True),
    )),
    State("BCS", "Baja California Sur", 0.8, (
        City("La Paz", "23", "America/Mazatlan", "612"), City("San José del Cabo", "23", "America/Mazatlan", "624"),
    )),
    State("CAM", "Campeche", 0.5, (City("Campeche", "24", "America/Merida", "981"), City("Ciudad del Carmen", "24", "America/Merida", "938"))),
    State("CHP", "Chiapas", 1.0, (City("Tuxtla Gutiérrez", "29", _MX, "961"), City("Tapachula", "30", _MX, "962", True))),
    State("CHH", "Chihuahua", 3.0, (
        City("Chihuahua", "31", "America/Chihuahua", "614"),
        City("Ciudad Juárez", "32", "America/Ciudad_Juarez", "656", True),
    )),
    # One entry per alcaldía postal prefix (Cuauhtémoc 06, Miguel Hidalgo 11, Benito Juárez 03, ...).
    State("CMX", "Ciudad de México", 20.0, tuple(City("Ciudad de México", prefix, _MX, "55") for prefix in ("06", "11", "03", "01", "02", "09", "04"))),
    State("COA", "Coahuila", 3.0, (
        City("Saltillo", "25", _MTY, "844"), City("Torreón", "27", _MTY, "871"), City("Piedras Negras", "26", _MTY, "878", True),
    )),
    State("COL", "Colima", 0.6, (City("Colima", "28", _MX, "312"), City("Manzanillo", "28", _MX, "314"))),
    State("DUR", "Durango", 1.0, (City("Durango", "34", _MTY, "618"), City("Gómez Palacio", "35", _MTY, "871"))),
    State("GUA", "Guanajuato", 5.0, (City("León", "37", _MX, "477"), City("Irapuato", "36", _MX, "462"), City("Celaya", "38", _MX, "461"))),
    State("GRO", "Guerrero", 1.0, (City("Acapulco", "39", _MX, "744"), City("Chilpancingo", "39", _MX, "747"))),
    State("HID", "Hidalgo", 1.5, (City("Pachuca", "42", _MX, "771"),)),
    State("JAL", "Jalisco", 10.0, (
        City("Guadalajara", "44", _MX, "33"), City("Zapopan", "45", _MX, "33"), City("Puerto Vallarta", "48", _MX, "322"),
    )),
    State("MEX", "Estado de México", 12.0, (
        City("Toluca", "50", _MX, "722"), City("Naucalpan", "53", _MX, "55"),
        City("Tlalnepantla", "54", _MX, "55"), City("Ecatepec", "55", _MX, "55"),
    )),
    State("MIC", "Michoacán", 2.0, (City("Morelia", "58", _MX, "443"), City("Uruapan", "60", _MX, "452"))),
    State("MOR", "Morelos", 1.0, (City("Cuernavaca", "62", _MX, "777"),)),
    State("NAY", "Nayarit", 0.6, (City("Tepic", "63", "America/Mazatlan", "311"),)),
    State("NLE", "Nuevo León", 10.0, (
        City("Monterrey", "64", _MTY, "81"), City("San Pedro Garza García", "66", _MTY, "81"), City("Apodaca", "66", _MTY, "81"),
    )),
    State("OAX", "Oaxaca", 1.0, (City("Oaxaca de Juárez", "68", _MX, "951"),)),
    State("PUE", "Puebla", 4.0, (City("Puebla", "72", _MX, "222"),)),
    State("QUE", "Querétaro", 4.0, (City("Querétaro", "76", _MX, "442"),)),
    State("ROO", "Quintana Roo", 1.5, (City("Cancún", "77", "America/Cancun", "998"), City("Chetumal", "77", "America/Cancun", "983", True))),
    State("SLP", "San Luis Potosí", 2.0, (City("San Luis Potosí", "78", _MX, "444"),)),
    State("SIN", "Sinaloa", 2.0, (City("Culiacán", "80", "America/Mazatlan", "667"), City("Mazatlán", "82", "America/Mazatlan", "669"))),
    State("SON", "Sonora", 3.0, (
        City("Hermosillo", "83", "America/Hermosillo", "662"), City("Nogales", "84", "America/Hermosillo", "631", True),
        City("Ciudad Obregón", "85", "America/Hermosillo", "644"),
    )),
    State("TAB", "Tabasco", 1.0, (City("Villahermosa", "86", _MX, "993"),)),
    State("TAM", "Tamaulipas", 3.0, (
        City("Reynosa", "88", "America/Matamoros", "899", True), City("Matamoros", "87", "America/Matamoros", "868", True),
        City("Nuevo Laredo", "88", "America/Matamoros", "867", True), City("Tampico", "89", _MTY, "833"),
    )),
    State("TLA", "Tlaxcala", 0.5, (City("Tlaxcala", "90", _MX, "246"),)),
    State("VER", "Veracruz", 3.0, (City("Veracruz", "91", _MX, "229"), City("Xalapa", "91", _MX, "228"), City("Coatzacoalcos", "96", _MX, "921"))),
    State("YUC", "Yucatán", 2.0, (City("Mérida", "97", "America/Merida", "999"),)),
    State("ZAC", "Zacatecas", 0.7, (City("Zacatecas", "98", _MX, "492"),)),
)

STATE_CODES: frozenset[str] = frozenset(state.code for state in STATES)


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    min_price: int  # MXN per unit, before tax
    max_price: int


# What the (fictional) distributor sells to each industry; the customer's industry picks the catalogue.
INDUSTRIES: dict[str, tuple[Product, ...]] = {
    "food_distribution": (
        Product("ALI-ACE12", "Aceite vegetal caja 12 x 1 L", 380, 520),
        Product("ALI-ARR25", "Arroz súper extra saco 25 kg", 520, 690),
        Product("ALI-AZU50", "Azúcar estándar saco 50 kg", 1150, 1450),
        Product("ALI-FRI20", "Frijol negro saco 20 kg", 640, 880),
    ),
    "construction": (
        Product("CON-CEM50", "Cemento gris saco 50 kg", 215, 265),
        Product("CON-VAR38", "Varilla corrugada 3/8 tonelada", 17500, 22500),
        Product("CON-BLK15", "Block de concreto 15 cm millar", 9800, 12500),
        Product("CON-IMP19", "Impermeabilizante acrílico cubeta 19 L", 1350, 1900),
    ),
    "automotive_parts": (
        Product("AUT-BAL01", "Juego de balatas delanteras", 420, 780),
        Product("AUT-ARN02", "Arnés eléctrico de motor", 1800, 3400),
        Product("AUT-FIL03", "Filtro de aceite caja 24 pzas", 1100, 1650),
    ),
    "pharmaceutical": (
        Product("FAR-PAR500", "Paracetamol 500 mg caja 100 tabs", 95, 160),
        Product("FAR-GUA01", "Guantes de nitrilo caja 100 pzas", 150, 240),
        Product("FAR-SOL01", "Solución salina 0.9 % 1 L caja 12", 380, 560),
    ),
    "technology": (
        Product("TEC-LIC01", "Licencia de software anual por usuario", 2400, 6800),
        Product("TEC-SOP01", "Póliza de soporte técnico mensual", 8000, 35000),
        Product("TEC-LAP01", "Computadora portátil empresarial", 14500, 28000),
    ),
    "logistics": (
        Product("LOG-FLE01", "Flete terrestre caja seca 53 pies", 18000, 42000),
        Product("LOG-MAN01", "Maniobras de carga y descarga", 1500, 4200),
        Product("LOG-TAR01", "Tarima de madera estándar", 180, 260),
    ),
    "retail": (
        Product("RET-PLA01", "Playera de algodón paquete 12 pzas", 900, 1500),
        Product("RET-EXH01", "Exhibidor metálico de piso", 2800, 5200),
        Product("RET-BOL01", "Bolsa reutilizable millar", 3200, 4800),
    ),
    "agribusiness": (
        Product("AGR-URE50", "Fertilizante urea saco 50 kg", 620, 890),
        Product("AGR-SEM01", "Semilla de maíz híbrido bulto 60 mil", 3900, 5600),
        Product("AGR-MAL01", "Malla sombra rollo 4 x 100 m", 5200, 7800),
    ),
    "chemicals": (
        Product("QUI-SOS200", "Sosa cáustica tambor 200 L", 6200, 8900),
        Product("QUI-CLO01", "Hipoclorito de sodio garrafa 20 L", 320, 480),
        Product("QUI-SOL01", "Solvente industrial tambor 200 L", 7400, 11200),
    ),
    "hospitality": (
        Product("HOS-BLA01", "Juego de blancos hoteleros", 1400, 2600),
        Product("HOS-AME01", "Amenidades de baño caja 500 pzas", 1900, 3100),
        Product("HOS-CAF01", "Café de grano kg", 260, 420),
    ),
}

INDUSTRY_WEIGHTS: dict[str, float] = {
    "food_distribution": 18, "construction": 14, "automotive_parts": 12, "pharmaceutical": 8, "technology": 9,
    "logistics": 10, "retail": 11, "agribusiness": 7, "chemicals": 6, "hospitality": 5,
}

# SAT tax regimes of legal entities: 601 general, 626 RESICO (small companies), 603 non-profit.
TAX_REGIMES: dict[str, float] = {"601": 0.86, "626": 0.11, "603": 0.03}

LEGAL_SUFFIXES: dict[str, float] = {"S.A. de C.V.": 0.68, "S. de R.L. de C.V.": 0.18, "S.A.P.I. de C.V.": 0.10, "S.C.": 0.04}

NAME_PREFIXES: dict[str, tuple[str, ...]] = {
    "food_distribution": ("Abarrotera", "Distribuidora de Alimentos", "Comercializadora"),
    "construction": ("Materiales", "Constructora", "Grupo Constructor"),
    "automotive_parts": ("Autopartes", "Refaccionaria", "Industrias"),
    "pharmaceutical": ("Farmacéutica", "Distribuidora Médica", "Laboratorios"),
    "technology": ("Sistemas", "Soluciones Tecnológicas", "Grupo"),
    "logistics": ("Transportes", "Logística", "Fletes"),
    "retail": ("Comercial", "Tiendas", "Grupo Comercial"),
    "agribusiness": ("Agroindustrias", "Agropecuaria", "Productora"),
    "chemicals": ("Química", "Productos Químicos", "Industrias"),
    "hospitality": ("Hotelera", "Servicios Turísticos", "Operadora"),
}

# fmt: on

CONTACT_FUNCTIONS: tuple[str, ...] = (
    "Cuentas por pagar",
    "Tesorería",
    "Contralor",
    "Director de Finanzas",
    "Compras",
    "Contabilidad",
)
