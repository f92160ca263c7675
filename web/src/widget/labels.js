// French labels of the feed's vocabulary (codes from sdi_common.contracts).
export const KINDS = {
  company_visit: "Visite d’entreprise",
  training_visit: "Visite de centre de formation",
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
  job_seekers: "Demandeurs d’emploi",
  educators: "Communauté éducative",
  hr_professionals: "Professionnels des ressources humaines",
  general_public: "Grand public",
  employees: "Salariés",
  business_partners: "Partenaires professionnels",
};

export const label = (table, code) => table[code] ?? code ?? "";

export function plural(n, one, many) {
  return `${n.toLocaleString("fr-FR")} ${n > 1 ? many : one}`;
}
