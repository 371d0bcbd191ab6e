"""The made-up tool domains of the generated benchmark, and their fixed split.

Each domain is described here once; `build_domains.py` turns a description into an importable tool
module under `domains/` (typed functions with docstrings over deterministic fictional data), and
`generate.py` asks questions about it. The split is by domain and never changes:

- train: the adapter corpus only (bench/adapter/make_traces.py);
- validation: every choice (prompts, guards, epochs, data mixes);
- test: run once per release candidate; its figures are the headline.

A domain: a primary entity (ids like "LH-214") with a category, a measured quantity that the tools
give in two units, a second similar quantity, a link to a secondary record (a person or object
with its own figure), and a fee in a fictional currency.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    field: str        # record key and tool-name suffix, e.g. "beam_range"
    label: str        # words in questions and docstrings, e.g. "beam range"
    unit: str         # unit the value is stored in
    low: float
    high: float
    alt_unit: str = ""  # second unit the tool can give (first measure only)
    factor: float = 1.0  # alt = value * factor
    decimals: int = 1


@dataclass(frozen=True)
class Domain:
    key: str          # module name
    title: str        # what the module is, for its docstring
    entity: str       # "lighthouse"
    plural: str       # "lighthouses"
    id_prefix: str
    category: str     # record key of the enum field
    categories: tuple[str, ...]
    main: Measure     # the quantity with two units
    other: Measure    # the similar quantity
    partner: str      # the linked record, e.g. "keeper"
    partner_prefix: str
    partner_measure: Measure
    fee: str          # "visitor ticket"
    fee_per: str      # "visitor"
    currency: str     # code of the local fictional currency
    name_noun: str    # last word of the entity names, e.g. "Light"
    partner_kind: str = "person"  # person names or object names for the partner

    @property
    def slug(self) -> str:
        return self.entity.replace(" ", "_").replace("-", "_")

    @property
    def plural_slug(self) -> str:
        return self.plural.replace(" ", "_").replace("-", "_")

    @property
    def partner_slug(self) -> str:
        return self.partner.replace(" ", "_").replace("-", "_")


# Fictional currencies: how many of each one standard credit buys.
CURRENCIES = {"LMC": ("lumen crowns", 1.0), "VRS": ("veris", 0.62), "KDT": ("kodats", 14.5), "ORL": ("orlins", 2.3),
              "SBK": ("sableks", 0.085), "TMN": ("tamins", 7.75)}

M, KM_MI, M_FT, L_GAL, KG_LB, HA_AC = "m", 0.621371, 3.28084, 0.264172, 2.20462, 2.47105
M2_FT2, CM_IN = 10.7639, 0.393701


def _d(key, title, entity, plural, idp, cat, cats, main, other, partner, pidp, pm, fee, per, cur, noun, pk="person"):
    return Domain(key, title, entity, plural, idp, cat, tuple(cats), main, other, partner, pidp, pm, fee, per, cur,
                  noun, pk)


def _m(field, label, unit, low, high, alt="", factor=1.0, decimals=1):
    return Measure(field, label, unit, low, high, alt, factor, decimals)


DOMAINS = [
    # ---- train ----
    _d("lighthouses", "Lighthouse registry", "lighthouse", "lighthouses", "LH", "status",
       ["active", "seasonal", "decommissioned"], _m("beam_range", "beam range", "km", 8, 40, "mi", KM_MI),
       _m("tower_height", "tower height", "m", 12, 70), "keeper", "KP",
       _m("years_of_service", "years of service", "years", 2, 40, decimals=0), "visitor ticket", "visitor", "LMC",
       "Light"),
    _d("orbital_stations", "Orbital station directory", "station", "stations", "ST", "orbit", ["low", "medium", "high"],
       _m("altitude", "orbital altitude", "km", 300, 36000, "mi", KM_MI, 0),
       _m("crew_capacity", "crew capacity", "people", 3, 40, decimals=0), "commander", "CM",
       _m("flight_hours", "logged flight hours", "hours", 200, 9000, decimals=0), "docking fee", "docking", "VRS",
       "Station"),
    _d("library_branches", "Library branch records", "library branch", "library branches", "BR", "district",
       ["north", "south", "harbour"], _m("floor_area", "floor area", "m²", 300, 4000, "ft²", M2_FT2, 0),
       _m("weekly_hours", "weekly opening hours", "hours", 20, 70, decimals=0), "librarian", "LB",
       _m("monthly_loans", "loans processed per month", "loans", 100, 3000, decimals=0), "reading-room pass", "pass",
       "ORL", "Library"),
    _d("greenhouse_sensors", "Greenhouse sensor network", "sensor", "sensors", "GS", "zone",
       ["tropical", "arid", "temperate"], _m("daily_water", "daily water use", "L", 20, 600, "gal", L_GAL),
       _m("humidity", "relative humidity", "%", 30, 95), "technician", "TC",
       _m("site_visits", "site visits this year", "visits", 4, 60, decimals=0), "calibration", "calibration", "KDT",
       "Probe"),
    _d("shipping_manifests", "Shipping manifests", "shipment", "shipments", "SH", "route",
       ["coastal", "transoceanic", "inland"], _m("cargo_mass", "cargo mass", "t", 50, 9000, "short tons", 1.10231),
       _m("container_count", "container count", "containers", 4, 800, decimals=0), "skipper", "SK",
       _m("voyages", "voyages completed", "voyages", 3, 120, decimals=0), "freight charge", "container", "TMN",
       "Consignment"),
    _d("recipe_scaling", "Recipe book with batch sizes", "recipe", "recipes", "RC", "course",
       ["starter", "main", "dessert"], _m("flour_per_batch", "flour per batch", "g", 100, 2000, "oz", 0.035274),
       _m("servings", "servings per batch", "servings", 2, 24, decimals=0), "chef", "CF",
       _m("signature_dishes", "signature dishes", "dishes", 1, 30, decimals=0), "cooking class", "seat", "SBK", "Bake"),
    _d("school_timetables", "School timetable", "course section", "course sections", "CS", "term",
       ["autumn", "spring", "summer"], _m("weekly_minutes", "weekly teaching time", "min", 90, 600, "h", 1 / 60, 0),
       _m("enrolled", "enrolment", "students", 8, 36, decimals=0), "teacher", "TR",
       _m("teaching_years", "years of teaching", "years", 1, 35, decimals=0), "course fee", "student", "LMC", "Seminar"),
    _d("fleet_maintenance", "Fleet maintenance log", "vehicle", "vehicles", "VH", "fleet_class",
       ["van", "truck", "shuttle"], _m("odometer", "odometer reading", "km", 5000, 400000, "mi", KM_MI, 0),
       _m("service_interval", "service interval", "days", 30, 365, decimals=0), "mechanic", "MC",
       _m("jobs_done", "jobs completed this year", "jobs", 20, 400, decimals=0), "service package", "service", "VRS",
       "Runner"),
    _d("railway_depots", "Railway depot roster", "locomotive", "locomotives", "LC", "traction",
       ["diesel", "electric", "steam"], _m("top_speed", "top speed", "km/h", 60, 320, "mph", KM_MI, 0),
       _m("axle_count", "axle count", "axles", 4, 12, decimals=0), "driver", "DR",
       _m("routes_qualified", "routes qualified on", "routes", 1, 25, decimals=0), "charter hire", "hour", "ORL",
       "Express"),
    _d("aquarium_tanks", "Aquarium tank register", "tank", "tanks", "AQ", "water", ["freshwater", "marine", "brackish"],
       _m("tank_volume", "tank volume", "L", 200, 80000, "gal", L_GAL, 0),
       _m("species_count", "species count", "species", 2, 60, decimals=0), "aquarist", "AR",
       _m("feeding_rounds", "feeding rounds per week", "rounds", 3, 28, decimals=0), "behind-the-scenes visit",
       "visitor", "KDT", "Reef"),
    _d("film_archive", "Film archive catalogue", "film reel", "film reels", "RL", "stock",
       ["nitrate", "acetate", "polyester"], _m("running_time", "running time", "min", 8, 180, "h", 1 / 60, 0),
       _m("restoration_hours", "restoration hours", "hours", 10, 900, decimals=0), "archivist", "AV",
       _m("reels_restored", "reels restored", "reels", 5, 400, decimals=0), "screening", "seat", "TMN", "Reel"),
    _d("bike_share", "Bike-share dock map", "bike dock", "bike docks", "BD", "zone_type",
       ["central", "campus", "riverside"], _m("depot_distance", "distance to the depot", "km", 0.4, 18, "mi", KM_MI),
       _m("dock_slots", "docking slot count", "slots", 8, 60, decimals=0), "warden", "WD",
       _m("rebalancing_runs", "rebalancing runs this month", "runs", 10, 300, decimals=0), "day pass", "rider", "SBK",
       "Dock"),
    _d("theatre_productions", "Theatre production listings", "production", "productions", "TP", "genre",
       ["comedy", "drama", "musical"], _m("show_length", "show length", "min", 60, 200, "h", 1 / 60, 0),
       _m("cast_size", "cast size", "performers", 2, 40, decimals=0), "director", "DI",
       _m("productions_directed", "productions directed", "productions", 1, 60, decimals=0), "ticket", "seat", "LMC",
       "Revue"),
    _d("campsites", "Campsite guide", "campsite", "campsites", "CG", "setting", ["forest", "lakeside", "alpine"],
       _m("trailhead_distance", "distance from the trailhead", "km", 0.5, 25, "mi", KM_MI),
       _m("pitch_count", "pitch count", "pitches", 6, 120, decimals=0), "ranger", "RG",
       _m("patrols", "patrols this season", "patrols", 5, 200, decimals=0), "pitch booking", "night", "VRS", "Camp"),
    _d("weather_balloons", "Weather balloon launches", "balloon", "balloons", "WB", "payload",
       ["ozone", "humidity", "radiation"], _m("burst_altitude", "burst altitude", "m", 18000, 38000, "ft", M_FT, 0),
       _m("flight_duration", "flight duration", "min", 60, 240, decimals=0), "meteorologist", "MT",
       _m("launches", "launches supervised", "launches", 10, 900, decimals=0), "launch", "launch", "ORL", "Sonde"),
    _d("clock_repair", "Clock repair workshop", "clock", "clocks", "CK", "mechanism", ["pendulum", "spring", "quartz"],
       _m("case_height", "case height", "cm", 12, 240, "in", CM_IN),
       _m("repair_hours", "repair hours", "hours", 1, 80, decimals=0), "horologist", "HL",
       _m("restorations", "restorations finished", "restorations", 5, 600, decimals=0), "servicing", "service", "KDT",
       "Regulator"),
    _d("print_shops", "Print shop equipment", "press", "presses", "PP", "press_type",
       ["offset", "letterpress", "digital"], _m("sheet_width", "maximum sheet width", "cm", 20, 160, "in", CM_IN),
       _m("sheets_per_hour", "sheets per hour", "sheets", 200, 12000, decimals=0), "press operator", "PO",
       _m("shifts", "shifts worked this year", "shifts", 20, 300, decimals=0), "print run", "run", "TMN", "Press"),
    _d("reservoirs", "Reservoir and dam register", "reservoir", "reservoirs", "RV", "use",
       ["drinking", "irrigation", "hydro"], _m("storage", "storage capacity", "GL", 5, 900, "million gal", 264.172, 0),
       _m("dam_height", "dam height", "m", 10, 180, decimals=0), "dam engineer", "EN",
       _m("inspections", "inspections signed", "inspections", 3, 250, decimals=0), "fishing permit", "angler", "SBK",
       "Water"),
    _d("coffee_roasteries", "Coffee roastery machines", "roaster", "roasters", "RS", "origin",
       ["highland", "lowland", "island"], _m("batch_size", "batch size", "kg", 1, 120, "lb", KG_LB),
       _m("roast_time", "roast time", "min", 8, 22, decimals=0), "roastmaster", "RM",
       _m("blends", "blends created", "blends", 2, 80, decimals=0), "cupping session", "guest", "LMC", "Drum"),
    _d("weaving_looms", "Weaving mill looms", "loom", "looms", "LM", "weave", ["plain", "twill", "satin"],
       _m("cloth_width", "cloth width", "cm", 40, 320, "in", CM_IN),
       _m("picks_per_minute", "picks per minute", "picks", 60, 900, decimals=0), "weaver", "WV",
       _m("bolts_woven", "bolts woven", "bolts", 10, 2000, decimals=0), "custom bolt", "bolt", "VRS", "Loom"),
    _d("mushroom_farms", "Mushroom farm grow rooms", "grow room", "grow rooms", "GR", "species",
       ["oyster", "shiitake", "enoki"], _m("weekly_harvest", "weekly harvest", "kg", 20, 900, "lb", KG_LB),
       _m("substrate_bags", "substrate bag count", "bags", 50, 3000, decimals=0), "grower", "GW",
       _m("harvests", "harvests led", "harvests", 4, 500, decimals=0), "harvest box", "box", "ORL", "Room"),
    _d("orchards", "Orchard plots", "orchard", "orchards", "OC", "fruit", ["apple", "pear", "plum"],
       _m("orchard_area", "orchard area", "ha", 0.5, 60, "acres", HA_AC),
       _m("tree_count", "tree count", "trees", 40, 9000, decimals=0), "orchard keeper", "OR",
       _m("seasons_worked", "seasons worked", "seasons", 1, 45, decimals=0), "pick-your-own basket", "basket", "KDT",
       "Orchard"),
    # ---- validation ----
    _d("vineyard_plots", "Vineyard plot register", "vineyard plot", "vineyard plots", "VP", "grape",
       ["red", "white", "rose"], _m("plot_area", "plot area", "ha", 0.5, 40, "acres", HA_AC),
       _m("vine_count", "vine count", "vines", 500, 40000, decimals=0), "vintner", "VN",
       _m("harvests_led", "harvests overseen", "harvests", 2, 45, decimals=0), "cellar tour", "guest", "TMN", "Clos"),
    _d("museum_exhibits", "Museum exhibit catalogue", "exhibit", "exhibits", "EX", "wing", ["east", "west", "atrium"],
       _m("gallery_area", "gallery area", "m²", 40, 1500, "ft²", M2_FT2, 0),
       _m("artifact_count", "artifact count", "artifacts", 10, 900, decimals=0), "curator", "CU",
       _m("exhibitions_curated", "exhibitions curated", "exhibitions", 1, 60, decimals=0), "guided tour", "visitor",
       "LMC", "Collection"),
    _d("ice_rinks", "Ice rink directory", "rink", "rinks", "RK", "surface", ["indoor", "outdoor", "covered"],
       _m("ice_area", "ice area", "m²", 400, 1900, "ft²", M2_FT2, 0),
       _m("spectator_capacity", "spectator capacity", "seats", 50, 8000, decimals=0), "skating coach", "CO",
       _m("lessons_per_week", "lessons per week", "lessons", 2, 40, decimals=0), "skate session", "skater", "VRS",
       "Arena"),
    _d("water_wells", "Village well survey", "well", "wells", "WL", "aquifer", ["shallow", "deep", "artesian"],
       _m("well_depth", "well depth", "m", 6, 400, "ft", M_FT),
       _m("daily_yield", "daily yield", "L", 500, 90000, decimals=0), "driller", "DL",
       _m("wells_drilled", "wells drilled", "wells", 3, 700, decimals=0), "water allocation", "household", "KDT",
       "Spring"),
    _d("parking_garages", "Parking garage list", "garage", "garages", "PG", "access", ["public", "residents", "permit"],
       _m("clearance", "clearance height", "m", 1.8, 4.5, "ft", M_FT, 2),
       _m("space_count", "parking space count", "spaces", 40, 2500, decimals=0), "attendant", "AT",
       _m("shifts_covered", "shifts covered", "shifts", 10, 400, decimals=0), "day ticket", "car", "ORL", "Deck"),
    _d("salt_pans", "Salt works ponds", "salt pond", "salt ponds", "SP", "grade", ["fleur", "coarse", "fine"],
       _m("pond_area", "pond area", "ha", 0.2, 30, "acres", HA_AC),
       _m("annual_salt", "annual salt harvest", "t", 5, 900), "salter", "SR",
       _m("seasons_raked", "seasons raked", "seasons", 1, 40, decimals=0), "harvest tour", "guest", "SBK", "Pan"),
    _d("dog_sled_teams", "Dog-sled kennel", "sled team", "sled teams", "SD", "route_type", ["race", "tour", "freight"],
       _m("trail_length", "trail length", "km", 5, 400, "mi", KM_MI),
       _m("dog_count", "team size", "dogs", 4, 16, decimals=0), "musher", "MS",
       _m("races_run", "races run", "races", 1, 90, decimals=0), "sled ride", "rider", "TMN", "Pack"),
    _d("chess_clubs", "Chess club register", "chess club", "chess clubs", "CB", "level", ["novice", "open", "master"],
       _m("hall_area", "playing hall area", "m²", 40, 600, "ft²", M2_FT2, 0),
       _m("member_count", "member count", "members", 8, 400, decimals=0), "club captain", "CA",
       _m("tournaments", "tournaments played", "tournaments", 2, 300, decimals=0), "membership", "member", "LMC",
       "Gambit"),
    # ---- test ----
    _d("ferry_routes", "Ferry route timetable", "ferry route", "ferry routes", "FR", "season",
       ["year-round", "summer", "winter"], _m("crossing_distance", "crossing distance", "nmi", 2, 120, "km", 1.852),
       _m("crossing_time", "crossing time", "min", 15, 400, decimals=0), "ferry vessel", "FV",
       _m("passenger_capacity", "passenger capacity", "passengers", 40, 1200, decimals=0), "passenger ticket",
       "passenger", "SBK", "Crossing", "object"),
    _d("observatories", "Observatory telescope register", "telescope", "telescopes", "TS", "site",
       ["mountain", "desert", "island"], _m("aperture", "mirror aperture", "m", 0.5, 12, "ft", M_FT, 2),
       _m("observing_nights", "observing nights per year", "nights", 80, 320, decimals=0), "astronomer", "AS",
       _m("papers", "papers published", "papers", 3, 210, decimals=0), "observing slot", "night", "ORL", "Scope"),
    _d("beekeeping", "Apiary hive records", "hive", "hives", "HV", "strain", ["valley", "highland", "meadow"],
       _m("honey_yield", "honey yield", "kg", 8, 90, "lb", KG_LB),
       _m("colony_size", "colony size", "bees", 8000, 60000, decimals=0), "beekeeper", "BK",
       _m("hives_managed", "hives managed", "hives", 3, 80, decimals=0), "honey tasting", "guest", "KDT", "Hive"),
    _d("canal_locks", "Canal lock register", "canal lock", "canal locks", "CL", "gauge", ["narrow", "broad", "ship"],
       _m("chamber_length", "chamber length", "m", 20, 320, "ft", M_FT),
       _m("daily_passages", "daily passages", "passages", 4, 300, decimals=0), "lock keeper", "LK",
       _m("shifts_kept", "shifts kept", "shifts", 20, 900, decimals=0), "passage toll", "boat", "ORL", "Lock"),
    _d("wind_farms", "Wind farm turbine list", "turbine", "turbines", "WT", "site_type", ["offshore", "ridge", "plain"],
       _m("annual_output", "annual output", "MWh", 800, 16000, "GJ", 3.6, 0),
       _m("rotor_diameter", "rotor diameter", "m", 40, 220, decimals=0), "turbine operator", "OP",
       _m("inspections_done", "inspections done", "inspections", 5, 120, decimals=0), "maintenance visit", "visit",
       "VRS", "Turbine"),
    _d("pottery_kilns", "Pottery studio kilns", "kiln", "kilns", "KL", "fuel", ["wood", "gas", "electric"],
       _m("chamber_volume", "chamber volume", "L", 60, 3000, "gal", L_GAL),
       _m("peak_temperature", "peak firing temperature", "°C", 900, 1350, decimals=0), "potter", "PT",
       _m("firings", "firings led", "firings", 10, 900, decimals=0), "firing slot", "shelf", "KDT", "Kiln"),
    _d("seed_bank", "Seed bank vault", "seed lot", "seed lots", "SL", "climate", ["boreal", "tropical", "dryland"],
       _m("stored_mass", "stored mass", "g", 50, 5000, "oz", 0.035274),
       _m("germination_rate", "germination rate", "%", 40, 99), "botanist", "BT",
       _m("expeditions", "collecting expeditions", "expeditions", 1, 40, decimals=0), "sample request", "sample",
       "TMN", "Lot"),
    _d("marathon_courses", "Race course guide", "race", "races", "RA", "terrain", ["road", "trail", "track"],
       _m("course_length", "course length", "km", 5, 100, "mi", KM_MI),
       _m("elevation_gain", "elevation gain", "m", 10, 3000, decimals=0), "race director", "RD",
       _m("editions_run", "editions run", "editions", 1, 50, decimals=0), "race entry", "runner", "SBK", "Run"),
    _d("tea_estates", "Tea estate ledger", "tea estate", "tea estates", "TE", "elevation_band", ["low", "mid", "high"],
       _m("plantation_area", "plantation area", "ha", 5, 900, "acres", HA_AC),
       _m("bush_count", "tea bush count", "bushes", 2000, 900000, decimals=0), "tea taster", "TT",
       _m("blends_graded", "blends graded", "blends", 10, 3000, decimals=0), "estate tour", "guest", "LMC", "Garden"),
    _d("planetariums", "Planetarium dome list", "dome", "domes", "PD", "projector", ["optical", "laser", "hybrid"],
       _m("dome_diameter", "dome diameter", "m", 6, 30, "ft", M_FT),
       _m("seat_count", "seat count", "seats", 30, 600, decimals=0), "show presenter", "PR",
       _m("shows_per_week", "shows per week", "shows", 2, 40, decimals=0), "show ticket", "seat", "VRS", "Dome"),
    _d("glassworks", "Glassworks furnaces", "furnace", "furnaces", "GF", "glass", ["soda-lime", "borosilicate", "lead"],
       _m("melt_capacity", "melt capacity", "kg", 20, 2000, "lb", KG_LB),
       _m("working_hours", "daily working hours", "hours", 4, 24, decimals=0), "glassblower", "GB",
       _m("commissions", "commissions finished", "commissions", 3, 400, decimals=0), "blowing workshop",
       "participant", "ORL", "Furnace"),
    _d("fire_stations", "Fire station engine roster", "fire engine", "fire engines", "FE", "engine_type",
       ["pumper", "ladder", "tanker"], _m("water_tank", "water tank capacity", "L", 500, 14000, "gal", L_GAL, 0),
       _m("crew_seats", "crew seat count", "seats", 2, 10, decimals=0), "fire captain", "FC",
       _m("callouts", "callouts led", "callouts", 10, 1500, decimals=0), "safety inspection", "inspection", "SBK",
       "Engine"),
    _d("radio_repeaters", "Amateur radio repeater list", "repeater", "repeaters", "RP", "band", ["VHF", "UHF", "HF"],
       _m("coverage_radius", "coverage radius", "km", 5, 160, "mi", KM_MI),
       _m("antenna_height", "antenna height", "m", 6, 120, decimals=0), "repeater trustee", "RT",
       _m("contacts_logged", "contacts logged", "contacts", 50, 20000, decimals=0), "repeater licence", "year", "TMN",
       "Relay"),
]

SPLITS = {
    "train": [d.key for d in DOMAINS[:22]],
    "validation": [d.key for d in DOMAINS[22:30]],
    "test": [d.key for d in DOMAINS[30:]],
}
BY_KEY = {d.key: d for d in DOMAINS}


def split_of(key: str) -> str:
    return next(s for s, keys in SPLITS.items() if key in keys)
