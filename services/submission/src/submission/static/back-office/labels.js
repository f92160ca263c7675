// French labels of the API's codes (sdi_common.contracts).
export const STATUSES = {
  received: "Reçue",
  labelled: "Labellisée",
  rejected: "Refusée",
  needs_review: "À examiner",
  published: "Publiée",
  location_unresolved: "Adresse à placer",
  withdrawn: "Retirée",
};
export const STATUS_BADGES = {
  received: "info",
  labelled: "success",
  rejected: "error",
  needs_review: "new",
  published: "success",
  location_unresolved: "warning",
  withdrawn: "info",
};
export const KINDS = {
  company_visit: "Visite d'entreprise",
  training_visit: "Visite d'un lieu de formation",
  workshop: "Atelier",
  escape_game: "Escape game",
  webinar: "Webinaire",
  job_dating: "Job dating",
  conference: "Conférence",
  forum: "Forum",
  exhibition: "Exposition",
  other: "Autre",
};
export const AUDIENCES = {
  pupils: "Élèves",
  youth: "Jeunes",
  students: "Étudiants",
  job_seekers: "Demandeurs d'emploi",
  educators: "Communauté éducative",
  hr_professionals: "Professionnels des ressources humaines",
  general_public: "Grand public",
  employees: "Salariés",
  business_partners: "Partenaires professionnels",
};
export const ORGANIZER_TYPES = {
  company: "Entreprise",
  school: "Établissement scolaire",
  training_centre: "Centre de formation",
  federation: "Fédération",
  public_body: "Organisme public",
  association: "Association",
  other: "Autre",
};
export const PRECISIONS = {
  housenumber: "au numéro",
  street: "à la rue",
  municipality: "à la commune",
  department: "au département",
  manual: "placé à la main",
};
export const EVENTS = {
  received: "Inscription reçue",
  labelled: "Labellisée (vérification automatique)",
  rejected: "Refusée (vérification automatique)",
  needs_review: "Envoyée au comité",
  decided: "Décision du comité",
  geocoded: "Placée sur la carte",
  location_unresolved: "Adresse introuvable",
  relocated: "Placée à la main",
  published: "Publiée sur la carte",
  withdrawn: "Retirée",
  contact_erased: "Coordonnées effacées",
  event_status: "Complet, annulé ou ouvert",
};
export const label = (table, code) => table[code] ?? code ?? "";

// "operator:alice" -> "alice (opérateur)"; a service name -> "automatique (validation)"
export function who(by) {
  if (!by) return "";
  if (by.startsWith("operator:")) return `${by.slice(9)} (opérateur)`;
  if (by === "organizer") return "l'organisateur";
  return `automatique (${by})`;
}

let departments = null;
export async function departmentNames() {
  if (!departments) {
    departments = fetch("/static/vendor/places/departements.json").then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return departments;
}
